import { SSE_HEADERS } from "./sse/writer.js";

/**
 * A response's headers: `extra` (the caller's, e.g. a request id) with the
 * renderer's own on top. A plain record where the caller gave one (or
 * none): the Node adapter writes a record as it is, while a `Headers`
 * instance costs a conversion and a check per header on every response.
 */
export function headersWith(
  extra: HeadersInit | undefined,
  own: Readonly<Record<string, string>>,
): HeadersInit {
  if (extra === undefined || isRecord(extra)) {
    const out: Record<string, string> = {};
    for (const name in extra)
      out[name.toLowerCase()] = (extra as Record<string, string>)[name] ?? "";
    for (const name in own) out[name] = own[name] as string;
    return out;
  }
  const headers = new Headers(extra);
  for (const name in own) headers.set(name, own[name] as string);
  return headers;
}

function isRecord(init: HeadersInit): init is Record<string, string> {
  return !Array.isArray(init) && !(init instanceof Headers);
}

/** The headers of an SSE response. */
export function sseHeaders(extra: HeadersInit | undefined): HeadersInit {
  return headersWith(extra, SSE_HEADERS);
}

const JSON_TYPE = { "content-type": "application/json" };

/** A JSON Response; `own` headers (an error's `retry-after`) go over `extra`. */
export function jsonResponse(
  status: number,
  body: unknown,
  extra?: HeadersInit,
  own?: Record<string, string>,
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: headersWith(extra, own ? { ...own, ...JSON_TYPE } : JSON_TYPE),
  });
}
