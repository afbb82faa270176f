import { toAnthropicError } from "@aiproxy/agent-loop/anthropic";
import { AuthenticationError, type Logger } from "@aiproxy/core";
import type { Context } from "hono";
import { clientError } from "../http/errors.js";

/**
 * Whether a request gets Anthropic's error shape: everything under
 * `/v1/messages`, and the model list when an Anthropic client asks (it
 * sends `anthropic-version` on every request).
 */
export function wantsAnthropicErrors(c: Context): boolean {
  const path = c.req.path;
  if (path === "/v1/messages" || path.startsWith("/v1/messages/")) return true;
  return path.startsWith("/v1/models") && c.req.header("anthropic-version") !== undefined;
}

/**
 * Any error as `{"type":"error","error":{"type","message"}}` with the
 * status the OpenAI surface would use. As there, errors aiproxy did not
 * raise on purpose are logged and become a generic 500.
 */
export function anthropicErrorResponse(
  error: unknown,
  logger: Logger,
  requestId?: string,
): Response {
  const { status, body, headers } = toAnthropicError(clientError(error, logger), requestId);
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, "content-type": "application/json" },
  });
}

/** The 401 an Anthropic client expects: its error shape, and the header it would send the key in. */
export function anthropicUnauthorized(logger: Logger, requestId?: string): Response {
  return anthropicErrorResponse(
    new AuthenticationError({
      message:
        "Invalid or missing API key. Send it as `x-api-key: <key>` or `Authorization: Bearer <key>`.",
      headers: { "www-authenticate": "Bearer" },
    }),
    logger,
    requestId,
  );
}
