import { describe, expect, it } from "vitest";
import {
  AbortedError,
  AiProxyError,
  AuthenticationError,
  abortError,
  ConflictError,
  InternalError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  ServiceUnavailableError,
  TimeoutError,
  toOpenAIError,
  UpstreamError,
  ValidationError,
} from "./errors.js";

const classes = [
  [InvalidRequestError, "invalid_request", 400, "invalid_request_error"],
  [AuthenticationError, "invalid_api_key", 401, "authentication_error"],
  [PermissionDeniedError, "permission_denied", 403, "permission_error"],
  [NotFoundError, "not_found", 404, "not_found_error"],
  [ConflictError, "conflict", 409, "conflict_error"],
  [PayloadTooLargeError, "payload_too_large", 413, "invalid_request_error"],
  [ValidationError, "validation_failed", 422, "invalid_request_error"],
  [ServiceUnavailableError, "service_unavailable", 503, "server_error"],
  [TimeoutError, "timeout", 504, "timeout_error"],
  [AbortedError, "aborted", 499, "invalid_request_error"],
  [InternalError, "internal_error", 500, "server_error"],
] as const;

describe("error classes", () => {
  it.each(classes)("%o has a stable code, status, type and name", (Cls, code, status, type) => {
    const error = new Cls("boom");
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.type).toBe(type);
    expect(error.message).toBe("boom");
    expect(error.name).toBe(Cls.name);
    expect(error.param).toBeNull();
    expect(error.headers).toEqual({});
  });

  it("isInstance matches its own class and the base only", () => {
    for (const [Cls] of classes) {
      const error = new Cls("x");
      expect(AiProxyError.isInstance(error)).toBe(true);
      for (const [Other] of classes) expect(Other.isInstance(error)).toBe(Other === Cls);
      expect(UpstreamError.isInstance(error)).toBe(false);
    }
  });

  it("isInstance works across duplicate copies of the package (no instanceof)", () => {
    // What another copy of @aiproxy/core would construct: same global symbol, other prototype.
    const foreignCopy = Object.assign(new Error("x"), {
      [Symbol.for("aiproxy.error")]: true,
      code: "not_found",
      status: 404,
    });
    expect(AiProxyError.isInstance(foreignCopy)).toBe(true);
    expect(NotFoundError.isInstance(foreignCopy)).toBe(true);
    expect(TimeoutError.isInstance(foreignCopy)).toBe(false);
  });

  it("isInstance rejects foreign errors and non-objects", () => {
    for (const value of [new Error("x"), new TypeError("x"), null, undefined, "timeout", 42, {}]) {
      expect(AiProxyError.isInstance(value)).toBe(false);
      expect(TimeoutError.isInstance(value)).toBe(false);
      expect(UpstreamError.isInstance(value)).toBe(false);
    }
  });

  it("an upstream error carrying a provider code equal to one of ours is not that class", () => {
    // OpenAI answers a bad key with code "invalid_api_key": the gateway's client is not at fault.
    const error = new UpstreamError({
      upstreamStatus: 401,
      upstreamCode: "invalid_api_key",
      message: "m",
    });
    expect(error.code).toBe("invalid_api_key");
    expect(AuthenticationError.isInstance(error)).toBe(false);
    const timeout = new UpstreamError({
      upstreamStatus: 400,
      upstreamCode: "timeout",
      message: "m",
    });
    expect(TimeoutError.isInstance(timeout)).toBe(false);
  });

  it("keeps param, cause and headers", () => {
    const cause = new Error("inner");
    const error = new InvalidRequestError({
      message: "bad",
      param: "messages",
      cause,
      headers: { "x-a": "1" },
    });
    expect(error.param).toBe("messages");
    expect(error.cause).toBe(cause);
    expect(error.headers).toEqual({ "x-a": "1" });
  });
});

describe("UpstreamError", () => {
  it.each([
    [400, 400, "invalid_request_error"],
    [401, 401, "authentication_error"],
    [403, 403, "invalid_request_error"],
    [404, 404, "invalid_request_error"],
    [422, 422, "invalid_request_error"],
    [429, 429, "rate_limit_error"],
    [500, 502, "upstream_error"],
    [503, 502, "upstream_error"],
    [529, 502, "upstream_error"],
    [0, 502, "upstream_error"],
  ])("upstream %i answers %i (%s)", (upstreamStatus, status, type) => {
    const error = new UpstreamError({ upstreamStatus, message: "m" });
    expect(error.status).toBe(status);
    expect(error.type).toBe(type);
    expect(error.upstreamStatus).toBe(upstreamStatus);
    expect(error.code).toBe("upstream_error");
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(AiProxyError.isInstance(error)).toBe(true);
    expect(error.name).toBe("UpstreamError");
  });

  it("uses the provider's code when given", () => {
    const error = new UpstreamError({
      upstreamStatus: 400,
      upstreamCode: "context_length_exceeded",
      message: "m",
    });
    expect(error.code).toBe("context_length_exceeded");
  });

  it("passes Retry-After on as a whole-seconds header, keeping other headers", () => {
    const error = new UpstreamError({
      upstreamStatus: 429,
      retryAfter: 1.2,
      message: "slow down",
      headers: { "x-request-id": "abc" },
    });
    expect(error.retryAfter).toBe(1.2);
    expect(error.headers).toEqual({ "x-request-id": "abc", "retry-after": "2" });
  });

  it("has no retry-after header without a retryAfter", () => {
    expect(new UpstreamError({ upstreamStatus: 429, message: "m" }).headers).toEqual({});
  });
});

describe("toOpenAIError", () => {
  it("renders our errors with their status, headers and OpenAI body", () => {
    const error = new NotFoundError({ message: "Unknown model 'x'", param: "model" });
    expect(toOpenAIError(error)).toEqual({
      status: 404,
      headers: {},
      body: {
        error: {
          message: "Unknown model 'x'",
          type: "not_found_error",
          param: "model",
          code: "not_found",
        },
      },
    });
  });

  it("renders an upstream 429 with its retry-after header", () => {
    const result = toOpenAIError(
      new UpstreamError({ upstreamStatus: 429, retryAfter: 3, message: "Rate limited" }),
    );
    expect(result.status).toBe(429);
    expect(result.headers).toEqual({ "retry-after": "3" });
    expect(result.body.error).toEqual({
      message: "Rate limited",
      type: "rate_limit_error",
      param: null,
      code: "upstream_error",
    });
  });

  it("turns a foreign error into a generic 500 that leaks nothing", () => {
    const secret = "sk-live-very-secret /etc/passwd";
    for (const thrown of [new Error(secret), new TypeError(secret), secret, { message: secret }]) {
      const result = toOpenAIError(thrown);
      expect(result).toEqual({
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
      });
      expect(JSON.stringify(result)).not.toContain("secret");
    }
  });
});

describe("abortError", () => {
  it("returns the signal's reason when it is ours", () => {
    const reason = new TimeoutError("too slow");
    expect(abortError(AbortSignal.abort(reason))).toBe(reason);
  });

  it("wraps any other reason in an AbortedError", () => {
    const reason = new Error("user");
    const error = abortError(AbortSignal.abort(reason));
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(error.cause).toBe(reason);
    expect(AbortedError.isInstance(abortError(undefined))).toBe(true);
  });
});
