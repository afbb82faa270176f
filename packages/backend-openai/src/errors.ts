import { redactSecrets, UpstreamError } from "@aiproxy/core";

/**
 * The HTTP status of each OpenAI error `type` / `code`
 * (https://platform.openai.com/docs/guides/error-codes). An error sent inside
 * a 200 stream has no status of its own; this gives it the one the same
 * failure would have had before the first byte.
 */
const STATUS_BY_KIND: Record<string, number> = {
  invalid_request_error: 400,
  context_length_exceeded: 400,
  authentication_error: 401,
  invalid_api_key: 401,
  permission_error: 403,
  permission_denied: 403,
  not_found_error: 404,
  model_not_found: 404,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  requests: 429,
  tokens: 429,
  server_error: 500,
  internal_error: 500,
  overloaded: 503,
  service_unavailable: 503,
};

/**
 * An in-stream `{"error": ...}` event (or a 2xx body that is one) as an
 * UpstreamError. Servers disagree on its shape: OpenAI sends `{ message,
 * type, param, code }`, vLLM and LiteLLM a numeric `code` (the status),
 * some proxies a bare string.
 */
export function streamError(payload: unknown, secrets: string[]): UpstreamError {
  const error = (typeof payload === "string" ? { message: payload } : (payload ?? {})) as Record<
    string,
    unknown
  >;
  const text = typeof error.message === "string" ? error.message : "unknown error";
  const code = typeof error.code === "string" ? error.code : undefined;
  const type = typeof error.type === "string" ? error.type : undefined;
  const numeric = [error.code, error.status].find(
    (value): value is number => typeof value === "number" && value >= 400 && value < 600,
  );
  const status =
    numeric ??
    (code !== undefined ? STATUS_BY_KIND[code] : undefined) ??
    (type !== undefined ? STATUS_BY_KIND[type] : undefined) ??
    500;
  const upstreamCode = code ?? type ?? "upstream_error";
  return new UpstreamError({
    upstreamStatus: status,
    upstreamCode,
    message: redactSecrets(`Upstream stream failed (${upstreamCode}): ${text}`, secrets),
  });
}
