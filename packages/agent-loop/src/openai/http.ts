import { toOpenAIError } from "@aiproxy/core";

/** A JSON Response; `own` headers (an error's `retry-after`) go over `extra`. */
export function jsonResponse(
  status: number,
  body: unknown,
  extra?: HeadersInit,
  own?: Record<string, string>,
): Response {
  const headers = new Headers(extra);
  for (const [name, value] of Object.entries(own ?? {})) headers.set(name, value);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers });
}

/** Any failure as OpenAI's `{"error": {...}}` with its status. */
export function errorResponse(error: unknown, extra?: HeadersInit): Response {
  const { status, body, headers } = toOpenAIError(error);
  return jsonResponse(status, body, extra, headers);
}
