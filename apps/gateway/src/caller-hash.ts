import { createHash } from "node:crypto";
import { extractCredentials } from "@aiproxy/auth";

/**
 * Owners already hashed, by what was hashed: a client sends the same key on
 * every request, and a sha256 per request was ~1% of a streaming profile.
 * Bounded (emptied when full) so that keys made up by callers cannot grow it;
 * it holds nothing the request did not carry in memory anyway.
 */
const owners = new Map<string, string>();
const MAX_OWNERS = 1024;

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
