import { credentialHash } from "../caller-hash.js";
import type { Caller } from "../env.js";

/**
 * Who owns a stored response: the auth provider that accepted the caller
 * and the credentials it presented, hashed. The same key reads its own
 * responses; any other key, even one the gateway accepts, gets a 404. With
 * auth off every caller is the same owner.
 */
export function ownerOf(caller: Caller | undefined, request: Request): string {
  return credentialHash(caller?.provider ?? "none", request);
}
