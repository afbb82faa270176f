import { toOpenAIError } from "@aiproxy/core";
import type { AnthropicErrorBody, AnthropicErrorType } from "./types.js";

/**
 * Any thrown value as a status and Anthropic's error body. The status and
 * message are the ones the OpenAI surface would send (so an aiproxy error
 * means the same on every surface); only the `type` vocabulary differs.
 */
export function toAnthropicError(
  error: unknown,
  requestId?: string,
): {
  status: number;
  body: AnthropicErrorBody & { request_id?: string };
  headers: Record<string, string>;
} {
  const { status, body, headers } = toOpenAIError(error);
  const out: AnthropicErrorBody & { request_id?: string } = {
    type: "error",
    error: { type: anthropicErrorType(status), message: body.error.message },
  };
  if (requestId) out.request_id = requestId;
  return { status, body: out, headers };
}

/** Anthropic's documented status -> type table; other 4xx are invalid requests, other 5xx API errors. */
export function anthropicErrorType(status: number): AnthropicErrorType {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      return status < 500 ? "invalid_request_error" : "api_error";
  }
}
