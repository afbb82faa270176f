import type { AdminPolicy } from "@aiproxy/auth";
import {
  type AiProxyConfig,
  assistantSchema,
  backendSchema,
  type ConfigIssue,
  mcpServerSchema,
  redact,
  restoreRedacted,
  type ServerConfig,
  toConfigIssue,
  unknownEntryFields,
  validateReferences,
} from "@aiproxy/config";
import {
  ConflictError,
  contentText,
  type Logger,
  NotFoundError,
  PermissionDeniedError,
  REDACTED,
  ValidationError,
} from "@aiproxy/core";
import { Hono } from "hono";
import type * as z from "zod";
import { readJsonBody } from "../http/body.js";
import { clip } from "../http/clip.js";
import type { Registry } from "../registry/registry.js";
import type { ConfigSync } from "../state/config-sync.js";
import { checkIfMatch, entryTag, PreconditionFailedError, versionTag } from "./etag.js";
import type { Section } from "./state.js";

export interface AdminOptions {
  registry: Registry;
  policy: AdminPolicy;
  logger: Logger;
  /** The config store admin changes are saved to, then applied from (on every replica). */
  sync: ConfigSync;
  /** The server settings in effect (flags and environment over the file), for `/config`. */
  serverSettings?: () => ServerConfig;
}

interface Kind {
  section: Section;
  noun: string;
  schema: z.ZodType;
}

/** URL segment -> config section. */
const KINDS: Record<string, Kind> = {
  assistants: { section: "assistants", noun: "assistant", schema: assistantSchema },
  backends: { section: "backends", noun: "backend", schema: backendSchema },
  mcp: { section: "mcp_servers", noun: "MCP server", schema: mcpServerSchema },
};

/** The admin API. Every route is behind the admin policy. */
export function adminRoutes(options: AdminOptions): Hono {
  const { registry, policy, logger, sync } = options;
  const app = new Hono();

  app.use("*", async (c, next) => {
    const refusal = policy.check(c.req.raw);
    if (refusal) throw refusal;
    await next();
  });

  app.get("/config", (c) => {
    c.header("etag", versionTag(sync.version));
    return c.json(
      redact({ ...registry.config, server: options.serverSettings?.() ?? registry.config.server }),
    );
  });

  // Where the live config comes from, and whether that store can be reached now.
  app.get("/status", (c) => c.json({ state: sync.status() }));

  app.get("/mcp/:name/tools", async (c) => {
    const name = c.req.param("name");
    requireEntry(registry.config, KINDS.mcp as Kind, name);
    const tools = await registry.fabric.listTools(name, { signal: c.req.raw.signal });
    return c.json({ object: "list", data: tools });
  });

  // The console's "call a tool": one call, outside any assistant, as an operator's check.
  app.post("/mcp/:name/tools/:tool/call", async (c) => {
    const name = c.req.param("name");
    requireEntry(registry.config, KINDS.mcp as Kind, name);
    const body = await readJsonBody(c.req.raw, { maxDepth: registry.config.server.max_json_depth });
    const args = (body as { arguments?: unknown } | null)?.arguments ?? {};
    if (typeof args !== "object" || args === null || Array.isArray(args))
      throw new ValidationError({ message: "arguments: expected an object", param: "arguments" });
    const started = performance.now();
    const result = await registry.fabric.callTool(
      name,
      c.req.param("tool"),
      args as Record<string, unknown>,
      {
        signal: c.req.raw.signal,
      },
    );
    logger.info(
      { admin: "call", "MCP server": name, tool: c.req.param("tool") },
      "admin tool call",
    );
    return c.json({
      isError: result.isError,
      content: contentText(result.content),
      durationMs: Math.round(performance.now() - started),
    });
  });

  app.get("/:kind", (c) => {
    const kind = kindOf(c.req.param("kind"));
    const entries = Object.keys(registry.config[kind.section]).map((name) =>
      describe(registry, kind, name),
    );
    return c.json({ object: "list", data: entries });
  });

  app.get("/:kind/:name", (c) => {
    const kind = kindOf(c.req.param("kind"));
    const name = c.req.param("name");
    requireEntry(registry.config, kind, name);
    c.header("etag", entryTag(registry.config[kind.section][name]));
    return c.json(describe(registry, kind, name));
  });

  app.put("/:kind/:name", async (c) => {
    const kind = kindOf(c.req.param("kind"));
    const name = c.req.param("name");
    const body = await readJsonBody(c.req.raw, { maxDepth: registry.config.server.max_json_depth });
    const entry = parseEntry(kind, name, body);
    if (kind.section === "mcp_servers" && entry.transport === "stdio" && !policy.allowStdio)
      throw new PermissionDeniedError({
        message:
          "Adding a stdio MCP server spawns a process on the gateway host; set admin.allow_stdio: true to permit it",
      });
    const ifMatch = c.req.header("if-match");
    const createOnly = c.req.header("if-none-match")?.trim() === "*";
    let created = false;
    let stored = entry;
    await sync.commit((current) => {
      const existing = current[kind.section][name];
      checkIfMatch(ifMatch, existing, `the ${kind.noun} '${clip(name)}'`);
      if (createOnly && existing !== undefined)
        throw new PreconditionFailedError({
          message: `If-None-Match: *: the ${kind.noun} '${clip(name)}' exists already`,
        });
      created = existing === undefined;
      stored = keepStoredSecrets(kind, name, entry, existing);
      const next = withEntry(current, kind.section, name, stored);
      const problems = validateReferences(next);
      if (problems.length > 0) throw validationError(problems);
      return { next, change: { [kind.section]: { [name]: stored } } };
    }, c.req.raw.signal);
    logger.info({ admin: "put", [kind.noun]: name, created }, "admin change applied");
    // As at start: fields the schema does not read are dropped, and named.
    const warnings = unknownEntryFields(kind.section, name, body);
    for (const warning of warnings)
      logger.warn({ path: warning.path }, `config: ${warning.path}: ${warning.message}`);
    const shown = describe(registry, kind, name);
    c.header("etag", entryTag(stored));
    return c.json(warnings.length > 0 ? { ...shown, warnings } : shown, created ? 201 : 200);
  });

  app.delete("/:kind/:name", async (c) => {
    const kind = kindOf(c.req.param("kind"));
    const name = c.req.param("name");
    const ifMatch = c.req.header("if-match");
    await sync.commit((current) => {
      requireEntry(current, kind, name);
      checkIfMatch(ifMatch, current[kind.section][name], `the ${kind.noun} '${clip(name)}'`);
      const users = usersOf(current, kind.section, name);
      if (users.length > 0)
        throw new ConflictError({
          message: `The ${kind.noun} '${name}' is used by assistant${users.length > 1 ? "s" : ""} ${users.map((u) => `'${u}'`).join(", ")}; change or delete ${users.length > 1 ? "them" : "it"} first`,
        });
      return {
        next: withEntry(current, kind.section, name, undefined),
        change: { [kind.section]: { [name]: null } },
      };
    }, c.req.raw.signal);
    logger.info({ admin: "delete", [kind.noun]: name }, "admin change applied");
    return c.json({ name, object: kind.noun, deleted: true });
  });

  return app;
}

/**
 * A secret sent back as the placeholder a GET shows (an edit form that never
 * displays the key does this) keeps the stored value; there being none to
 * keep is the client's error, not a key of "[REDACTED]".
 */
// biome-ignore lint/suspicious/noExplicitAny: an entry of one of three schemas, as parseEntry returns it.
function keepStoredSecrets(kind: Kind, name: string, entry: any, existing: unknown): any {
  const { value, missing } = restoreRedacted(kind.section, name, entry, existing);
  if (missing.length > 0)
    throw new ValidationError({
      message: missing
        .map(
          (path) =>
            `${path}: "${REDACTED}" stands for a stored secret, and this ${kind.noun} has none there; send the value itself`,
        )
        .join("\n"),
      param: missing[0],
    });
  return value;
}

function kindOf(segment: string): Kind {
  const kind = KINDS[segment];
  if (!kind)
    throw new NotFoundError({
      message: `Unknown admin collection '${clip(segment)}'; use assistants, backends or mcp`,
    });
  return kind;
}

function requireEntry(config: AiProxyConfig, kind: Kind, name: string): void {
  if (!(name in config[kind.section]))
    throw new NotFoundError({ message: `No ${kind.noun} named '${clip(name)}'` });
}

// biome-ignore lint/suspicious/noExplicitAny: entries of three schemas, narrowed by section at use.
function parseEntry(kind: Kind, name: string, body: unknown): any {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ValidationError({
      message: `The body must be a JSON object describing the ${kind.noun}`,
    });
  const given = (body as { name?: unknown }).name;
  if (given !== undefined && given !== name)
    throw new ValidationError({
      message: `name: ${shown(given)} does not match the name in the URL, "${clip(name)}"`,
      param: "name",
    });
  const raw = { ...body, name };
  const result = kind.schema.safeParse(raw, { reportInput: true });
  if (!result.success)
    throw validationError(result.error.issues.map((issue) => toConfigIssue(issue, raw)));
  return result.data;
}

/**
 * A client's value for a message: clipped text, or only its type. `String()`
 * would call the value's own `toString`, which a JSON body can set to an object.
 */
function shown(value: unknown): string {
  if (typeof value === "string") return `"${clip(value)}"`;
  if (value === null || typeof value === "number" || typeof value === "boolean")
    return clip(String(value));
  return Array.isArray(value) ? "a list" : "a map";
}

function validationError(issues: ConfigIssue[]): ValidationError {
  return new ValidationError({
    message: issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("\n"),
  });
}

function withEntry(
  config: AiProxyConfig,
  section: Section,
  name: string,
  entry: unknown,
): AiProxyConfig {
  const entries: Record<string, unknown> = { ...config[section] };
  if (entry === undefined) delete entries[name];
  else entries[name] = entry;
  return { ...config, [section]: entries };
}

/** Assistants that name a backend or MCP server. */
function usersOf(config: AiProxyConfig, section: Section, name: string): string[] {
  const assistants = Object.values(config.assistants);
  if (section === "backends")
    return assistants
      .filter((a) => a.backend === name || a.tool_backend === name)
      .map((a) => a.name);
  if (section === "mcp_servers")
    return assistants.filter((a) => a.mcp_servers.includes(name)).map((a) => a.name);
  return [];
}

/** An entry as admin shows it: secrets redacted, and live status for MCP servers. */
function describe(registry: Registry, kind: Kind, name: string): Record<string, unknown> {
  const wrapped = { [kind.section]: { [name]: registry.config[kind.section][name] } };
  const entry = redact(wrapped)[kind.section]?.[name] as Record<string, unknown>;
  if (kind.section !== "mcp_servers") return entry;
  return { ...entry, status: registry.fabric.status(name) ?? { name, state: "disabled" } };
}
