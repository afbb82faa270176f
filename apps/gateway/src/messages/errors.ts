import { toAnthropicError } from "@aiproxy/agent-loop/anthropic";
import { AiProxyError, AuthenticationError, InternalError, type Logger } from "@aiproxy/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";

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
  let known = error;
  if (!AiProxyError.isInstance(error)) {
    if (error instanceof HTTPException && error.status < 500) {
      known = new AiProxyError("invalid_request", error.status, "invalid_request_error", {
        message: error.message || "Bad request",
      });
    } else {
      logger.error(
        {
          err:
            error instanceof Error
              ? { name: error.name, message: error.message, stack: error.stack }
              : String(error),
        },
        "unhandled error",
      );
      known = new InternalError({ message: "Internal server error" });
    }
  }
  const { status, body, headers } = toAnthropicError(known, requestId);
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
