import { AuthenticationError, PermissionDeniedError } from "@aiproxy/core";
import { bearerToken } from "./credentials.js";
import { hostOfAuthority, isLoopbackHost } from "./loopback.js";
import { unauthorizedHeaders } from "./response.js";
import { safeEqual } from "./safe-equal.js";

export interface AdminPolicyOptions {
  /** `ADMIN_API_KEY` / `admin.api_key`; blank means none. */
  adminApiKey?: string;
  /** The address the gateway listens on. */
  host: string;
  /** `admin.allow_stdio`; absent means true only on a loopback address. */
  allowStdio?: boolean;
}

export interface AdminPolicy {
  /**
   * `undefined` when the request may use the admin API; else the error to
   * answer with: 401 (with `WWW-Authenticate: Bearer`) for a missing or
   * wrong key, 403 when no key is set and the gateway is not on loopback, or
   * when an open loopback admin API is reached from a web page.
   */
  check(request: Request): AuthenticationError | PermissionDeniedError | undefined;
  /** Whether the admin API may add or replace stdio MCP servers: that spawns a process. */
  readonly allowStdio: boolean;
  /** No key and a loopback address: anyone on this machine may administer. */
  readonly open: boolean;
}

/**
 * Who may use the admin API. With a key, every request must carry it as
 * `Authorization: Bearer` or `X-API-Key` (never in the URL, which ends up in
 * logs). Without one, the admin API is served only on a loopback address;
 * there, requests a browser makes on behalf of another site are refused
 * (a `Host` that is not loopback means DNS rebinding, a foreign `Origin` or
 * `Sec-Fetch-Site: cross-site` means a cross-site request), since any web
 * page can send requests to 127.0.0.1.
 */
export function adminPolicy(options: AdminPolicyOptions): AdminPolicy {
  const key = options.adminApiKey?.trim() || undefined;
  const loopback = isLoopbackHost(options.host);
  const open = key === undefined && loopback;

  function checkKey(request: Request, expected: string) {
    const sent = [
      bearerToken(request.headers.get("authorization")),
      request.headers.get("x-api-key")?.trim(),
    ].filter((value): value is string => !!value);
    if (sent.length === 0)
      return new AuthenticationError({
        message: "Missing admin API key: send ADMIN_API_KEY as `Authorization: Bearer <key>`.",
        headers: unauthorizedHeaders(),
      });
    let matched = false;
    for (const value of sent) matched = safeEqual(value, expected) || matched;
    if (matched) return undefined;
    return new AuthenticationError({
      message: "Invalid admin API key.",
      headers: unauthorizedHeaders(),
    });
  }

  return {
    open,
    allowStdio: options.allowStdio ?? loopback,
    check(request) {
      if (key !== undefined) return checkKey(request, key);
      if (!loopback)
        return new PermissionDeniedError(
          "The admin API is served without a key only on a loopback address. " +
            "Set ADMIN_API_KEY to use it on this address.",
        );
      const refusal = browserRefusal(request);
      return refusal ? new PermissionDeniedError(refusal) : undefined;
    },
  };
}

function browserRefusal(request: Request): string | undefined {
  const authority = request.headers.get("host") ?? new URL(request.url).host;
  if (!isLoopbackHost(hostOfAuthority(authority)))
    return "The admin API without ADMIN_API_KEY answers only requests addressed to a loopback host.";
  const origin = request.headers.get("origin");
  if (
    (origin !== null && !isLoopbackOrigin(origin)) ||
    request.headers.get("sec-fetch-site") === "cross-site"
  )
    return "The admin API without ADMIN_API_KEY refuses cross-site browser requests.";
  return undefined;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return isLoopbackHost(new URL(origin).hostname);
  } catch {
    return false; // includes "null", sent by sandboxed frames and file: pages
  }
}
