import { createHash } from "node:crypto";
import { extractCredentials } from "@aiproxy/auth";

/**
 * Who owns an MCP session: the auth provider that accepted the caller and
 * the credentials it presented, hashed. Another key, even one the gateway
 * accepts, cannot use the session; with auth off every caller is one owner.
 */
export function sessionOwner(provider: string, request: Request): string {
  const hash = createHash("sha256");
  hash.update(`mcp\0${provider}`);
  for (const credential of extractCredentials(request)) hash.update(`\0${credential}`);
  return hash.digest("base64url");
}
