import { credentialHash } from "../caller-hash.js";

/**
 * Owners by what their requests carried: a client sends the same key to the
 * same URL on every call, and finding its credentials parses the URL (for
 * `?apikey=`). Bounded (emptied when full), as the values are the callers';
 * NUL is in no header value or URL, so the fields cannot run together.
 */
const owners = new Map<string, string>();
const MAX_OWNERS = 1024;

/**
 * Who owns an MCP session: the auth provider that accepted the caller and
 * the credentials it presented, hashed. Another key, even one the gateway
 * accepts, cannot use the session; with auth off every caller is one owner.
 */
export function sessionOwner(provider: string, request: Request): string {
  const { headers } = request;
  const carried = `${provider}\0${headers.get("authorization") ?? ""}\0${headers.get("x-api-key") ?? ""}\0${request.url}`;
  let owner = owners.get(carried);
  if (owner === undefined) {
    owner = credentialHash(`mcp\0${provider}`, request);
    if (owners.size >= MAX_OWNERS) owners.clear();
    owners.set(carried, owner);
  }
  return owner;
}
