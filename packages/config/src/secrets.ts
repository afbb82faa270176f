import type { PathSegment } from "./errors.js";

/** Header names (and pinned-argument keys) that carry credentials. */
export const SECRET_NAME = /auth|key|token|secret|password|passwd|cookie|session|credential/i;

/**
 * Whether a node at a secret path is a grant map (or the list holding them),
 * whose own fields are judged one by one: only its `key` is secret.
 */
export function isGrantContainer(path: readonly PathSegment[], node: unknown): boolean {
  if (typeof node !== "object" || node === null) return false;
  if (path[0] === "proxy_api_keys") return path.length <= 2;
  return path[0] === "api_key_grants" && path.length === 2;
}

/**
 * Whether the value at `path` (in raw or normalized config) is a secret, so
 * that it is redacted and never echoed in an error message.
 */
export function isSecretPath(path: readonly PathSegment[]): boolean {
  return isSecretInConfig(path) || isSecretInEntry(path);
}

/** By the key alone, so a body checked with one schema (no section in its path) is covered too. */
function isSecretInEntry(path: readonly PathSegment[]): boolean {
  const last = path.at(-1);
  const parent = path.at(-2);
  if (path.length === 1) return last === "api_key" || last === "secret";
  if (path.length === 2 && parent === "env") return true;
  return (
    path.length === 2 &&
    (parent === "headers" || parent === "default_headers") &&
    typeof last === "string" &&
    SECRET_NAME.test(last)
  );
}

function isSecretInConfig(path: readonly PathSegment[]): boolean {
  const [section, , field, sub] = path;
  // A whole entry (a key, or a grant map judged by the redactor field by field), or a grant's key.
  if (section === "proxy_api_keys") return path.length <= 2 || path[2] === "key";
  if (section === "api_key_grants") return path.length === 2 || path[2] === "key";
  if (section === "admin") return path[1] === "api_key";
  if (section === "apiman") return path[1] === "secret";
  if (section === "telemetry") return path[2] === "api_key";
  if (section === "backends") {
    if (field === "api_key") return true;
    return field === "default_headers" && typeof sub === "string" && SECRET_NAME.test(sub);
  }
  if (section === "mcp_servers") {
    if (field === "env") return path.length >= 4;
    return field === "headers" && typeof sub === "string" && SECRET_NAME.test(sub);
  }
  if (section === "assistants" && field === "tool_arguments")
    return path.slice(4).some((key) => typeof key === "string" && SECRET_NAME.test(key));
  return false;
}
