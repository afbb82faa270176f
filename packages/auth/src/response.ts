import { AuthenticationError, toOpenAIError } from "@aiproxy/core";

export const DEFAULT_UNAUTHORIZED_MESSAGE =
  "Invalid or missing API key. Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.";

/** A 401 with an OpenAI error body and `WWW-Authenticate: Bearer`, as OpenAI's clients expect. */
export function unauthorizedResponse(message: string = DEFAULT_UNAUTHORIZED_MESSAGE): Response {
  return errorResponse(new AuthenticationError({ message, headers: unauthorizedHeaders() }));
}

/** `WWW-Authenticate` for every 401 this package produces (RFC 6750). */
export function unauthorizedHeaders(): Record<string, string> {
  return { "www-authenticate": "Bearer" };
}

function errorResponse(error: unknown): Response {
  const { status, body, headers } = toOpenAIError(error);
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, "content-type": "application/json" },
  });
}
