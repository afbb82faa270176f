import { timingSafeEqual } from "node:crypto";
import { sha256 } from "./safe-equal.js";
import type { AuthProvider } from "./types.js";

/**
 * Accepts a request that carries one of `keys` (config's `proxy_api_keys`).
 * Keys are kept only as SHA-256 digests and every credential is compared
 * with every key, without stopping at the first match, so timing reveals
 * neither which key matched nor how much of one did. Empty keys are dropped:
 * with none left, the provider refuses everything.
 */
export function staticKeys(keys: readonly string[]): AuthProvider {
  const digests = keys.filter((key) => key.length > 0).map(sha256);
  return {
    name: "static_keys",
    async authenticate({ credentials }) {
      let matched = false;
      for (const credential of credentials) {
        if (credential.length === 0) continue;
        const digest = sha256(credential);
        for (const key of digests) matched = timingSafeEqual(digest, key) || matched;
      }
      return matched
        ? { ok: true, provider: "static_keys" }
        : { ok: false, reason: "no configured key matches" };
    },
  };
}
