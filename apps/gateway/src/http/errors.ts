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
  const { status, body, headers } = toOpenAIError(clientError(error, logger));
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * What a client may be told of any error, on every surface: an AiProxyError
 * as it is, a Hono 4xx as an invalid request, and anything else logged and
 * replaced by a generic 500.
 */
export function clientError(error: unknown, logger: Logger): AiProxyError {
  if (AiProxyError.isInstance(error)) return error;
  if (error instanceof HTTPException && error.status < 500) {
    return new AiProxyError("invalid_request", error.status, "invalid_request_error", {
      message: error.message || "Bad request",
    });
  }
  logger.error({ err: describeError(error) }, "unhandled error");
  return new InternalError({ message: "Internal server error" });
}

export function onError(logger: Logger) {
  return (error: Error, _c: Context) => errorResponse(error, logger);
}

function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error)
    return { name: error.name, message: error.message, stack: error.stack };
  return { value: String(error) };
}
