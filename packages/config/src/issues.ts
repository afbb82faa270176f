import type * as z from "zod";
import { describeValue } from "./collection.js";
import { isPlainObject } from "./env.js";
import { type ConfigIssue, formatPath, type PathSegment } from "./errors.js";
import { isSecretPath } from "./secrets.js";

const EXPECTED: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a map",
  record: "a map",
  array: "a list",
};

const COLLECTIONS = new Set<PathSegment | undefined>(["backends", "mcp_servers", "assistants"]);

/** Keys that may be written under another name; a problem is reported under the name used. */
const ALIASES: Record<string, string[]> = { kind: ["type", "provider"], transport: ["type"] };

/**
 * A zod issue as a ConfigIssue: the path as written in the YAML, and a
 * short message that never echoes a secret value.
 */
export function toConfigIssue(issue: z.core.$ZodIssue, raw: unknown): ConfigIssue {
  const path = sourcePath(issue.path as PathSegment[], raw);
  // Without `reportInput` zod leaves the value out; it is still in the raw input.
  const reported = "input" in issue;
  const input = reported ? issue.input : valueAt(raw, path);
  return { path: formatPath(path), message: messageFor(issue, path, input, reported) };
}

/** Rewrites a schema path to what the YAML says: aliases, and names that came from map keys. */
function sourcePath(path: PathSegment[], raw: unknown): PathSegment[] {
  const last = path[path.length - 1];
  if (typeof last !== "string") return path;
  const parent = valueAt(raw, path.slice(0, -1));
  if (isPlainObject(parent) && last in parent) return path;
  // In map style the name is the key: point at the key itself.
  if (
    last === "name" &&
    path.length === 3 &&
    COLLECTIONS.has(path[0]) &&
    typeof path[1] === "string"
  )
    return path.slice(0, -1);
  if (!isPlainObject(parent)) return path;
  const alias = ALIASES[last]?.find((name) => name in parent);
  return alias ? [...path.slice(0, -1), alias] : path;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PathSegment, unknown>)[segment];
  }
  return node;
}

function messageFor(
  issue: z.core.$ZodIssue,
  path: PathSegment[],
  input: unknown,
  reported: boolean,
): string {
  const got = () => (isSecretPath(path) ? describeType(input) : describeValue(input));
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined) return "required";
      if (path.length === 0)
        return `the config must be a map of settings, got ${describeType(input)}`;
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${got()}`;
    case "invalid_value":
      if (input === undefined)
        return issue.values.length > 1 ? `required: ${oneOf(issue.values)}` : "required";
      return `must be ${oneOf(issue.values)} (got ${got()})`;
    case "invalid_union": {
      if (!("discriminator" in issue) || typeof issue.discriminator !== "string")
        return issue.message;
      // Zod reports the whole object as the input of a union; the raw lookup finds the key itself.
      const value = !reported
        ? input
        : isPlainObject(input)
          ? input[issue.discriminator]
          : undefined;
      const options = (issue as { options?: unknown[] }).options ?? [];
      if (value === undefined) {
        const hint =
          issue.discriminator === "transport"
            ? " (or give `command` for stdio, `url` for streamable-http)"
            : "";
        return `required: ${oneOf(options)}${hint}`;
      }
      return `must be ${oneOf(options)} (got ${describeValue(value)})`;
    }
    case "too_small":
      if (issue.origin === "string") return "must not be empty";
      if (issue.origin === "array") return `must have at least ${issue.minimum} items`;
      return `must be ${issue.inclusive ? ">=" : ">"} ${issue.minimum} (got ${got()})`;
    case "too_big":
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      if (issue.origin === "array") return `must have at most ${issue.maximum} items`;
      return `must be ${issue.inclusive ? "<=" : "<"} ${issue.maximum} (got ${got()})`;
    default:
      return issue.message;
  }
}

function oneOf(values: readonly unknown[]): string {
  const quoted = values.map((value) => JSON.stringify(value));
  if (quoted.length === 1) return quoted[0] ?? "";
  return `one of ${quoted.join(", ")}`;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return "text";
  if (typeof value === "number") return "a number";
  return typeof value;
}
