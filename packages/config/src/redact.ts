import { REDACTED, redactUrl } from "@aiproxy/core";
import type { PathSegment } from "./errors.js";
import { isGrantContainer, isSecretPath } from "./secrets.js";
import { mapTree } from "./walk.js";

const URL_FIELDS = new Set(["base_url", "url", "gateway_url", "redis_url"]);
const SECRET_FLAG = /^--?[\w-]*(key|token|secret|password|auth)[\w-]*$/i;

/**
 * How much of a path the rules read: the section, entry and field up to
 * `assistants.<a>.tool_arguments.<tool>.<arg>`. Below that the only rule is
 * "a credential-like key hides its subtree" (a secret ancestor already hid
 * everything under it), so a deeper node is judged by this prefix and its own
 * key, and a deep value costs no path copies.
 */
const PREFIX_LENGTH = 5;

/**
 * A deep copy of a config (normalized, or raw in list or map style) with
 * every secret replaced by REDACTED: backend api_key, credential-like header
 * values, MCP server env values, admin.api_key, proxy_api_keys
 * (a grant's `key`; its lists of names stay), api_key_grants keys, apiman.secret, pinned tool arguments with credential-like names, the
 * value after a `--token`-like flag in args, and passwords or credential-like
 * query parameters in URLs. Empty and absent values stay as they are, so a
 * reader can tell "not set" from "set". Any nesting depth is safe.
 */
export function redact<T>(config: T): T {
  return mapTree(config, [] as readonly PathSegment[], (node, path) => {
    if (isSecretPath(path) && !isGrantContainer(path, node)) return { value: hide(node) };
    if (isArgs(path) && Array.isArray(node)) return { value: redactArgs(node) };
    if (typeof node === "string" && path.length <= 3 && URL_FIELDS.has(String(path.at(-1))))
      return { value: redactUrl(node) };
    return { children: (key) => childPath(path, key) };
  }) as T;
}

function childPath(path: readonly PathSegment[], key: PathSegment): PathSegment[] {
  const head = path.length > PREFIX_LENGTH ? path.slice(0, PREFIX_LENGTH) : path;
  return [...head, key];
}

function isArgs(path: readonly PathSegment[]): boolean {
  return path[0] === "mcp_servers" && path[2] === "args" && path.length === 3;
}

/** Every leaf of `value` as REDACTED; empty ones kept. */
function hide(value: unknown): unknown {
  return mapTree(value, undefined, (node) => {
    if (node === undefined || node === null || node === "") return { value: node };
    if (typeof node === "object") return { children: () => undefined };
    return { value: REDACTED };
  });
}

function redactArgs(args: unknown[]): unknown[] {
  return args.map((arg, index) => {
    if (typeof arg !== "string") return arg;
    const eq = arg.indexOf("=");
    if (eq > 0 && SECRET_FLAG.test(arg.slice(0, eq))) return `${arg.slice(0, eq)}=${REDACTED}`;
    const previous = args[index - 1];
    return typeof previous === "string" && SECRET_FLAG.test(previous) ? REDACTED : arg;
  });
}

/**
 * `entry` (one entry of `section`, as a client sent it) with every secret
 * that reads REDACTED replaced by the same secret of `existing`: a GET's
 * placeholder sent back unchanged means "keep the stored value", as an edit
 * form that never shows the key sends it. `missing` lists the paths where
 * `existing` has nothing to keep. Secrets inside URLs and args are not
 * restored: a placeholder there is taken as written.
 */
export function restoreRedacted(
  section: string,
  name: string,
  entry: unknown,
  existing: unknown,
): { value: unknown; missing: string[] } {
  const missing: string[] = [];
  const walk = (node: unknown, kept: unknown, path: PathSegment[]): unknown => {
    if (node === REDACTED && isSecretPath([section, name, ...path])) {
      if (typeof kept === "string") return kept;
      missing.push(path.join("."));
      return node;
    }
    if (Array.isArray(node))
      return node.map((child, i) =>
        walk(child, Array.isArray(kept) ? kept[i] : undefined, [...path, i]),
      );
    if (typeof node === "object" && node !== null) {
      const keptMap =
        typeof kept === "object" && kept !== null ? (kept as Record<string, unknown>) : {};
      return Object.fromEntries(
        Object.entries(node).map(([key, child]) => [
          key,
          walk(child, keptMap[key], [...path, key]),
        ]),
      );
    }
    return node;
  };
  return { value: walk(entry, existing, []), missing };
}
