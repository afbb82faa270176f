import { redactSecrets, UpstreamError } from "@aiproxy/core";

/**
 * The HTTP status Anthropic documents for each error type
 * (https://docs.anthropic.com/en/api/errors). A stream's `error` event has no
 * status of its own, so this gives it the one the same failure would have had
 * before the first byte.
 */
const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** An `event: error` payload, `{ type, message }`, as an UpstreamError. */
export function streamError(payload: unknown, secrets: string[]): UpstreamError {
  const { type, message } = (payload ?? {}) as { type?: unknown; message?: unknown };
  const code = typeof type === "string" ? type : "api_error";
  const text = typeof message === "string" ? message : "unknown error";
  return new UpstreamError({
    upstreamStatus: STATUS_BY_TYPE[code] ?? 500,
    upstreamCode: code,
    message: redactSecrets(`Upstream stream failed (${code}): ${text}`, secrets),
  });
}
