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
 * Loopback verdicts by the value judged: a client sends the same Host on
 * every request, and isLoopbackHost parses a URL for each. Bounded (emptied
 * when full), as the values are the callers'.
 */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 256;

function isLoopback(host: string): boolean {
  let verdict = verdicts.get(host);
  if (verdict === undefined) {
    verdict = isLoopbackHost(host);
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(host, verdict);
  }
  return verdict;
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
  if (bindHost === undefined || isLoopback(bindHost)) {
    const host = request.headers.get("host");
    if (host !== null && !isLoopback(hostname(host))) return "Host not allowed";
  }
  return undefined;
}
