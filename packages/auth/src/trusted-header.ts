import { safeEqual } from "./safe-equal.js";
import type { AuthProvider } from "./types.js";

export interface TrustedHeaderOptions {
  /** The header Apiman sets on requests it has authenticated. */
  header: string;
  /** The value it sets it to; shared with Apiman only. */
  secret: string;
}

/**
 * Accepts a request whose `header` equals `secret` (compared in constant
 * time): Apiman authenticated the caller and proves it passed the request
 * on. The caller's own key is not looked at. The secret must never reach a
 * client, and the header is only trustworthy if clients cannot reach the
 * gateway without going through Apiman, or cannot guess the secret.
 */
export function apimanTrustedHeader({ header, secret }: TrustedHeaderOptions): AuthProvider {
  // An empty secret would accept any request that sends the header empty.
  if (!secret) throw new TypeError("apimanTrustedHeader: the secret must not be empty");
  new Headers().get(header); // throws now, on an invalid header name, instead of per request
  return {
    name: "apiman_trusted_header",
    async authenticate({ request }) {
      const value = request.headers.get(header);
      if (!value) return { ok: false, reason: `no ${header} header` };
      return safeEqual(value, secret)
        ? { ok: true, provider: "apiman_trusted_header" }
        : { ok: false, reason: `${header} does not hold the shared secret` };
    },
  };
}
