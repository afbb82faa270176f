import { credentialHash } from "../caller-hash.js";

/**
 * Who owns an MCP session: the auth provider that accepted the caller and
 * the credentials it presented, hashed. Another key, even one the gateway
 * accepts, cannot use the session; with auth off every caller is one owner.
 */
export function sessionOwner(provider: string, request: Request): string {
  return credentialHash(`mcp\0${provider}`, request);
}
