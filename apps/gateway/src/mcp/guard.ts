import { isLoopbackHost } from "@aiproxy/auth";

/** A page of the gateway's own origin (e.g. its console) is no cross-site caller. */
function sameOrigin(origin: string, host: string | null): boolean {
  if (host === null) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function hostname(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1).toLowerCase();
  return (host.split(":")[0] ?? "").toLowerCase();
}

/**
 * Why a request may not reach the MCP endpoint before any credential is
 * looked at, or undefined: a browser `Origin` not in `server.cors_origins`,
 * or, on a loopback bind, a `Host` that is not a loopback name (a page on
 * a rebound DNS name reaching a local gateway).
 */
export function refusal(
  request: Request,
  { corsOrigins, bindHost }: { corsOrigins: readonly string[]; bindHost: string | undefined },
): string | undefined {
  const origin = request.headers.get("origin");
  if (
    origin !== null &&
    !corsOrigins.includes(origin) &&
    !corsOrigins.includes("*") &&
    !sameOrigin(origin, request.headers.get("host"))
  )
    return "Origin not allowed";
  if (bindHost === undefined || isLoopbackHost(bindHost)) {
    const host = request.headers.get("host");
    if (host !== null && !isLoopbackHost(hostname(host))) return "Host not allowed";
  }
  return undefined;
}
