import { timingSafeEqual } from "node:crypto";
import { sha256 } from "./safe-equal.js";
import type { AuthProvider } from "./types.js";

/**
 * Accepts a request that carries one of `keys` (config's `proxy_api_keys`)
 * and says which: `keyIndex` is its index in `keys`. Keys are kept only as
 * SHA-256 digests and every credential is compared with every key, without
 * stopping at the first match, so timing reveals neither which key matched
 * nor how much of one did. When several match, the first credential (in
 * `extractCredentials` order) decides, and for it the first key. Empty keys
 * are dropped: with none left, the provider refuses everything.
 */
export function staticKeys(keys: readonly string[]): AuthProvider {
  const digests = keys.flatMap((key, index) =>
    key.length > 0 ? [{ digest: sha256(key), index }] : [],
  );
  return {
    name: "static_keys",
    async authenticate({ credentials }) {
      let matched = -1;
      for (const credential of credentials) {
        if (credential.length === 0) continue;
        const digest = sha256(credential);
        for (const key of digests) {
          const equal = timingSafeEqual(digest, key.digest);
          matched = equal && matched < 0 ? key.index : matched;
        }
      }
      return matched >= 0
        ? { ok: true, provider: "static_keys", keyIndex: matched }
        : { ok: false, reason: "no configured key matches" };
    },
  };
}
