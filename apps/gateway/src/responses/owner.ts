import { createHash } from "node:crypto";
import { extractCredentials } from "@aiproxy/auth";
import type { Caller } from "../env.js";

/**
 * Owners already hashed, by what was hashed: a client sends the same key on
 * every request, and a sha256 per request was ~1% of a streaming profile.
 * Bounded (emptied when full) so that keys made up by callers cannot grow it;
 * it holds nothing the request did not carry in memory anyway.
 */
const owners = new Map<string, string>();
const MAX_OWNERS = 1024;

/**
 * Who owns a stored response: the auth provider that accepted the caller
 * and the credentials it presented, hashed. The same key reads its own
 * responses; any other key, even one the gateway accepts, gets a 404. With
 * auth off every caller is the same owner.
 */
export function ownerOf(caller: Caller | undefined, request: Request): string {
  return credentialHash(caller?.provider ?? "none", request);
}

/** `scope` and the credentials `request` presents, hashed (memoized). */
export function credentialHash(scope: string, request: Request): string {
  let input = scope;
  for (const credential of extractCredentials(request)) input += `\0${credential}`;
  let owner = owners.get(input);
  if (owner === undefined) {
    owner = createHash("sha256").update(input).digest("base64url");
    if (owners.size >= MAX_OWNERS) owners.clear();
    owners.set(input, owner);
  }
  return owner;
}
