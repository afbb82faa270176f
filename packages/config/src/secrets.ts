import type { PathSegment } from "./errors.js";

/** Header names (and pinned-argument keys) that carry credentials. */
export const SECRET_NAME = /auth|key|token|secret|password|passwd|cookie|session|credential/i;

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
  if (section === "proxy_api_keys") return true;
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
