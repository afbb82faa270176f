/** OpenAI's error `type` values, plus the ones a gateway adds for upstream failures. */
export type OpenAIErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "conflict_error"
  | "rate_limit_error"
  | "server_error"
  | "upstream_error"
  | "timeout_error";

export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}

export interface AiProxyErrorOptions {
  message: string;
  param?: string | null;
  cause?: unknown;
  /** Response headers to pass on to the client, e.g. `retry-after`. */
  headers?: Record<string, string>;
}

const marker = Symbol.for("aiproxy.error");

/**
 * The base of every error aiproxy raises on purpose. `code` is stable API;
 * `status` is the HTTP status a gateway answers with.
 */
export class AiProxyError extends Error {
  readonly [marker] = true;
  readonly code: string;
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    status: number,
    type: OpenAIErrorType,
    { message, param = null, cause, headers = {} }: AiProxyErrorOptions,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "AiProxyError";
    this.code = code;
    this.status = status;
    this.type = type;
    this.param = param;
    this.headers = headers;
  }

  /** Works across duplicate copies of this package, unlike `instanceof`. */
  static isInstance(error: unknown): error is AiProxyError {
    return typeof error === "object" && error !== null && (error as never)[marker] === true;
  }
}

type Opts = string | AiProxyErrorOptions;
const opts = (o: Opts): AiProxyErrorOptions => (typeof o === "string" ? { message: o } : o);

function defineError<C extends string>(
  name: string,
  code: C,
  status: number,
  type: OpenAIErrorType,
) {
  const ErrorClass = class extends AiProxyError {
    declare readonly code: C;
    constructor(options: Opts) {
      super(code, status, type, opts(options));
      this.name = name;
    }
    static override isInstance(error: unknown): error is AiProxyError & { code: C } {
      // An UpstreamError's code is the provider's own and may collide with ours
      // (OpenAI's "invalid_api_key"), which must not make it e.g. an AuthenticationError.
      return AiProxyError.isInstance(error) && error.code === code && !("upstreamStatus" in error);
    }
  };
  Object.defineProperty(ErrorClass, "name", { value: name });
  return ErrorClass;
}

/** 400: the request is malformed or names something impossible. */
export class InvalidRequestError extends defineError(
  "InvalidRequestError",
  "invalid_request",
  400,
  "invalid_request_error",
) {}
/** 401: no credential, or one no provider accepts. */
export class AuthenticationError extends defineError(
  "AuthenticationError",
  "invalid_api_key",
  401,
  "authentication_error",
) {}
/** 403: authenticated, or on an address, that may not do this. */
export class PermissionDeniedError extends defineError(
  "PermissionDeniedError",
  "permission_denied",
  403,
  "permission_error",
) {}
/** 404: unknown assistant, backend or MCP server (a model asked for is a ModelNotFoundError). */
export class NotFoundError extends defineError(
  "NotFoundError",
  "not_found",
  404,
  "not_found_error",
) {}
/**
 * 404 for a model (an assistant) that does not exist, in OpenAI's own terms
 * (`invalid_request_error`, `model_not_found`), which clients match on.
 */
export class ModelNotFoundError extends defineError(
  "ModelNotFoundError",
  "model_not_found",
  404,
  "invalid_request_error",
) {}
/** 409: the change conflicts with current state (e.g. deleting a backend in use). */
export class ConflictError extends defineError(
  "ConflictError",
  "conflict",
  409,
  "conflict_error",
) {}
/** 413: the request body is over the limit. */
export class PayloadTooLargeError extends defineError(
  "PayloadTooLargeError",
  "payload_too_large",
  413,
  "invalid_request_error",
) {}
/** 422: a well-formed body that fails validation; the message lists every problem. */
export class ValidationError extends defineError(
  "ValidationError",
  "validation_failed",
  422,
  "invalid_request_error",
) {}
/** 503: not ready, draining, or a dependency is withheld. */
export class ServiceUnavailableError extends defineError(
  "ServiceUnavailableError",
  "service_unavailable",
  503,
  "server_error",
) {}
/** 504: an upstream or tool did not answer in time. */
export class TimeoutError extends defineError("TimeoutError", "timeout", 504, "timeout_error") {}
/** 499 (nginx's "client closed request"): the caller aborted. Never sent to anyone. */
export class AbortedError extends defineError(
  "AbortedError",
  "aborted",
  499,
  "invalid_request_error",
) {}
/** 500: a bug. Its message is never shown to a client. */
export class InternalError extends defineError(
  "InternalError",
  "internal_error",
  500,
  "server_error",
) {}

export interface UpstreamErrorOptions extends AiProxyErrorOptions {
  /** The upstream's HTTP status; 0 when no response arrived. */
  upstreamStatus: number;
  /** Seconds the upstream asked us to wait, from Retry-After. */
  retryAfter?: number;
  /** The provider's own error code, if it sent one. */
  upstreamCode?: string | null;
}

/**
 * The LLM provider failed. Client-side statuses (4xx) pass through so a
 * client sees e.g. the provider's 400 or 429; transport and 5xx failures
 * become 502, as a gateway should answer for a bad upstream.
 */
export class UpstreamError extends AiProxyError {
  readonly upstreamStatus: number;
  readonly retryAfter: number | undefined;

  constructor(options: UpstreamErrorOptions) {
    const status =
      options.upstreamStatus >= 400 && options.upstreamStatus < 500 ? options.upstreamStatus : 502;
    const type: OpenAIErrorType =
      status === 429
        ? "rate_limit_error"
        : status === 401
          ? "authentication_error"
          : status < 500
            ? "invalid_request_error"
            : "upstream_error";
    const headers = { ...options.headers };
    if (options.retryAfter !== undefined)
      headers["retry-after"] = String(Math.ceil(options.retryAfter));
    super(options.upstreamCode ?? "upstream_error", status, type, { ...options, headers });
    this.name = "UpstreamError";
    this.upstreamStatus = options.upstreamStatus;
    this.retryAfter = options.retryAfter;
  }

  static override isInstance(error: unknown): error is UpstreamError {
    return AiProxyError.isInstance(error) && "upstreamStatus" in error;
  }
}

/**
 * Any thrown value as a status and an OpenAI error body. Errors aiproxy did
 * not raise on purpose become a generic 500: their messages may hold paths,
 * stack details or secrets.
 */
export function toOpenAIError(error: unknown): {
  status: number;
  body: OpenAIErrorBody;
  headers: Record<string, string>;
} {
  if (AiProxyError.isInstance(error)) {
    return {
      status: error.status,
      headers: error.headers,
      body: {
        error: { message: error.message, type: error.type, param: error.param, code: error.code },
      },
    };
  }
  return {
    status: 500,
    headers: {},
    body: {
      error: {
        message: "Internal server error",
        type: "server_error",
        param: null,
        code: "internal_error",
      },
    },
  };
}

/** The error to throw when `signal` has fired: its reason if that is ours, else AbortedError. */
export function abortError(signal: AbortSignal | undefined): AiProxyError {
  const reason: unknown = signal?.reason;
  if (AiProxyError.isInstance(reason)) return reason;
  return new AbortedError({ message: "The request was aborted", cause: reason });
}
