import {
  AiProxyError,
  type AiProxyErrorOptions,
  InternalError,
  type Logger,
  toOpenAIError,
} from "@aiproxy/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";

/** 415: a body sent as something other than JSON (`text/plain`, a form, no type at all). */
export class UnsupportedMediaTypeError extends AiProxyError {
  declare readonly code: "unsupported_media_type";
  constructor(options: AiProxyErrorOptions) {
    super("unsupported_media_type", 415, "invalid_request_error", options);
    this.name = "UnsupportedMediaTypeError";
  }
  static override isInstance(error: unknown): error is UnsupportedMediaTypeError {
    return AiProxyError.isInstance(error) && error.code === "unsupported_media_type";
  }
}

/**
 * Any error as an OpenAI error response. Errors aiproxy raises on purpose
 * keep their status and message; anything else is logged and becomes a
 * generic 500, since its message may hold paths or secrets.
 */
export function errorResponse(error: unknown, logger: Logger): Response {
  let known = error;
  if (!AiProxyError.isInstance(error)) {
    if (error instanceof HTTPException && error.status < 500) {
      known = new AiProxyError("invalid_request", error.status, "invalid_request_error", {
        message: error.message || "Bad request",
      });
    } else {
      logger.error({ err: describeError(error) }, "unhandled error");
      known = new InternalError({ message: "Internal server error" });
    }
  }
  const { status, body, headers } = toOpenAIError(known);
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function onError(logger: Logger) {
  return (error: Error, _c: Context) => errorResponse(error, logger);
}

function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error)
    return { name: error.name, message: error.message, stack: error.stack };
  return { value: String(error) };
}
