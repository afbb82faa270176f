import * as z from "zod";
import { isPlainObject } from "./env.js";
import type { PathSegment } from "./errors.js";
import { stringList } from "./fields.js";
import type { ReferenceIssue } from "./references.js";

/** Names of assistants or MCP servers: a list, or one name; blanks dropped. */
const names = stringList(false);

const grantFields = z.object({
  key: z.string().transform((key) => key.trim()),
  /** Absent: every assistant. A list (even empty): only these, on /v1 and /mcp/{assistant}. */
  assistants: names.optional(),
  /** Absent: every MCP server. A list (even empty): only these, on the aggregate /mcp and /sse. */
  mcp_servers: names.optional(),
});

/** One key's limits: what the caller holding `key` may use. */
export type ApiKeyGrant = {
  key: string;
  assistants?: string[];
  mcp_servers?: string[];
};

/** `key:` left empty (YAML null, or `${VAR:-}` unset) is a key that is not set, not a missing field. */
function grantInput(value: unknown): unknown {
  if (typeof value === "string") return { key: value };
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  if (out.key === null) out.key = "";
  for (const field of ["assistants", "mcp_servers"])
    if (out[field] === null || out[field] === "") delete out[field];
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** A key, or a grant map; a value that is neither is reported as "expected text", as a plain key would be. */
const entrySchema = z.unknown().transform((value, ctx) => {
  const input = grantInput(value);
  if (!isPlainObject(input)) {
    ctx.addIssue({ code: "invalid_type", expected: "string", input: value });
    return z.NEVER;
  }
  const parsed = grantFields.safeParse(input);
  if (parsed.success) return parsed.data;
  // The nested parse leaves each issue's value out; addIssue would otherwise report the whole map.
  for (const issue of parsed.error.issues)
    ctx.addIssue({ ...issue, input: valueAt(input, issue.path) } as Parameters<
      typeof ctx.addIssue
    >[0]);
  return z.NEVER;
});

function limited(grant: z.output<typeof grantFields>): ApiKeyGrant | undefined {
  if (grant.key === "" || (grant.assistants === undefined && grant.mcp_servers === undefined))
    return undefined;
  return {
    key: grant.key,
    ...(grant.assistants !== undefined && { assistants: grant.assistants }),
    ...(grant.mcp_servers !== undefined && { mcp_servers: grant.mcp_servers }),
  };
}

/** A grant with the path of the entry it came from, for cross-reference problems. */
export type LocatedGrant = ApiKeyGrant & { at: PathSegment[] };

/**
 * `proxy_api_keys`: one key, several comma-separated ones (what an env var
 * holds), or a list of keys and `{key, assistants?, mcp_servers?}` maps.
 * Every non-blank key is in `keys`; the maps that carry a limit are also in
 * `grants`. A key that expands empty is dropped, map or not.
 */
export const proxyApiKeysSchema = z
  .preprocess((value) => {
    if (value === null || value === undefined) return [];
    return typeof value === "string" ? value.split(",") : value;
  }, z.array(entrySchema))
  .transform((entries) => {
    const keys: string[] = [];
    const grants: LocatedGrant[] = [];
    entries.forEach((entry, index) => {
      if (entry.key === "") return;
      keys.push(entry.key);
      const grant = limited(entry);
      if (grant) grants.push({ ...grant, at: ["proxy_api_keys", index] });
    });
    return { keys, grants };
  });

/**
 * `api_key_grants`: the normalized output's name for the limits, accepted as
 * input so that output round-trips (the admin API re-validates it).
 */
export const apiKeyGrantsSchema = z
  .preprocess(
    (value) => (value === null || value === undefined ? [] : value),
    z.array(z.preprocess(grantInput, grantFields.extend({ key: z.string().trim().min(1) }))),
  )
  .transform((entries) =>
    entries.flatMap((entry, index): LocatedGrant[] => {
      const grant = limited(entry);
      return grant ? [{ ...grant, at: ["api_key_grants", index] }] : [];
    }),
  );

/** One grant per key, the first written winning; the locations dropped. */
export function mergeGrants(...lists: LocatedGrant[][]): ApiKeyGrant[] {
  const byKey = new Map<string, ApiKeyGrant>();
  for (const { at: _at, ...grant } of lists.flat())
    if (!byKey.has(grant.key)) byKey.set(grant.key, grant);
  return [...byKey.values()];
}

/** Assistants and MCP servers named by grants that do not exist. */
export function grantReferenceIssues(
  grants: Iterable<LocatedGrant>,
  assistants: ReadonlySet<string>,
  mcpServers: ReadonlySet<string>,
): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  for (const grant of grants) {
    for (const [field, known, what] of [
      ["assistants", assistants, "assistant"],
      ["mcp_servers", mcpServers, "MCP server"],
    ] as const) {
      grant[field]?.forEach((name, index) => {
        if (!known.has(name))
          issues.push({
            path: [...grant.at, field, index],
            message: `unknown ${what} ${JSON.stringify(name)}`,
          });
      });
    }
  }
  return issues;
}
