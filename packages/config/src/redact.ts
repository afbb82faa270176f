import { isPlainObject } from "./env.js";
import type { PathSegment } from "./errors.js";
import { isSecretPath, SECRET_NAME } from "./secrets.js";

export const REDACTED = "***";

const URL_FIELDS = new Set(["base_url", "url", "gateway_url"]);
const SECRET_FLAG = /^--?[\w-]*(key|token|secret|password|auth)[\w-]*$/i;

/**
 * A deep copy of a config (normalized, or raw in list or map style) with
 * every secret replaced by "***": backend api_key, credential-like header
 * values, MCP server env values, admin.api_key, proxy_api_keys,
 * apiman.secret, pinned tool arguments with credential-like names, the
 * value after a `--token`-like flag in args, and passwords or credential-like
 * query parameters in URLs. Empty and absent values stay as they are, so a
 * reader can tell "not set" from "set".
 */
export function redact<T>(config: T): T {
  return walk(config, []) as T;
}

function walk(node: unknown, path: PathSegment[]): unknown {
  if (isSecretPath(path)) return hide(node);
  const field = path[2];
  if (path[0] === "mcp_servers" && field === "args" && path.length === 3 && Array.isArray(node))
    return redactArgs(node);
  if (typeof node === "string" && path.length <= 3 && URL_FIELDS.has(String(path.at(-1))))
    return redactUrl(node);
  if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
  if (isPlainObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) out[key] = walk(child, [...path, key]);
    return out;
  }
  return node;
}

function hide(value: unknown): unknown {
  if (value === undefined || value === null || value === "") return value;
  if (Array.isArray(value)) return value.map(hide);
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hide(v)]));
  return REDACTED;
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

function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.password) {
    url.password = REDACTED;
    changed = true;
  }
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_NAME.test(key)) {
      url.searchParams.set(key, REDACTED);
      changed = true;
    }
  }
  return changed ? url.toString() : text;
}
