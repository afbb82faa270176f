import { AsyncLocalStorage } from "node:async_hooks";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";

/**
 * One tool call's trace context, while the SDK sends its request. Sessions
 * are shared by every request, so the headers cannot be the transport's:
 * they follow the call through the SDK's async chain to its `fetch`.
 */
const current = new AsyncLocalStorage<Record<string, string>>();

export function withTraceHeaders<T>(headers: Record<string, string> | undefined, run: () => T): T {
  return headers ? current.run(headers, run) : run();
}

/** The HTTP transports' fetch: the current call's trace headers on top of the request's. */
export const traceFetch: FetchLike = (url, init) => {
  const trace = current.getStore();
  if (!trace) return fetch(url, init);
  const headers = new Headers(init?.headers);
  for (const [name, value] of Object.entries(trace)) headers.set(name, value);
  return fetch(url, { ...init, headers });
};

/** W3C trace context names only: nothing else a caller passes reaches `_meta`. */
export function traceMeta(headers: Record<string, string> | undefined): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const name of ["traceparent", "tracestate"]) {
    const value = headers?.[name];
    if (value) meta[name] = value;
  }
  return meta;
}
