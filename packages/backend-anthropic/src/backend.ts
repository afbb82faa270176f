import {
  AiProxyError,
  abortError,
  type BackendEvent,
  type CallOptions,
  type Completion,
  deadline,
  fetchUpstream,
  type LlmBackend,
  type LlmRequest,
  type RetryPolicy,
  readSse,
  redactSecrets,
  sleep,
  UpstreamError,
  type UpstreamResponse,
} from "@aiproxy/core";
import { isRetryableUpstream } from "./errors.js";
import { toAnthropicRequest } from "./request.js";
import { fromAnthropicMessage } from "./response.js";
import { StreamState } from "./stream-state.js";
import type { AnthropicMessage } from "./wire.js";

export interface AnthropicBackendOptions {
  /** Default `https://api.anthropic.com/v1`; requests go to `{baseUrl}/messages`. */
  baseUrl?: string;
  /** Sent as `x-api-key`. Never appears in an error message. */
  apiKey?: string;
  /** The `anthropic-version` header. Default `2023-06-01`. */
  anthropicVersion?: string;
  /** Extra headers on every request, e.g. `anthropic-beta`; they may override the defaults. */
  defaultHeaders?: Record<string, string>;
  /** `max_tokens` when a request sets none (Anthropic requires one). Default 4096. */
  defaultMaxTokens?: number;
  /** The whole exchange: retries, waits and the body. Default 10 minutes. */
  timeoutMs?: number;
  /** Until response headers arrive, per attempt. Default 30 s. */
  connectTimeoutMs?: number;
  /** A stream that sends nothing (not even a ping) for this long fails. Default 120 s. */
  streamIdleTimeoutMs?: number;
  /** Retries before the first byte of output. Default 2; shorthand for `retry.maxRetries`. */
  maxRetries?: number;
  retry?: RetryPolicy;
  /** For tests and custom agents. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

export const DEFAULT_BASE_URL = "https://api.anthropic.com/v1";
export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01";
const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 120_000;

interface Config {
  url: string;
  headers: Record<string, string>;
  secrets: string[];
  defaultMaxTokens: number | undefined;
  timeoutMs: number;
  connectTimeoutMs: number | undefined;
  streamIdleTimeoutMs: number;
  retry: Required<RetryPolicy>;
  fetch: typeof fetch | undefined;
}

/** An LlmBackend over Anthropic's native Messages API. */
export function createAnthropicBackend(options: AnthropicBackendOptions = {}): LlmBackend {
  const config = resolveConfig(options);
  return {
    provider: "anthropic",
    generate: (request: LlmRequest, call?: CallOptions) => generate(config, request, call?.signal),
    stream: (request: LlmRequest, call?: CallOptions) => stream(config, request, call?.signal),
  };
}

function resolveConfig(options: AnthropicBackendOptions): Config {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "anthropic-version": options.anthropicVersion ?? DEFAULT_ANTHROPIC_VERSION,
    ...options.defaultHeaders,
  };
  if (options.apiKey) headers["x-api-key"] = options.apiKey;
  // A credential may also come in through defaultHeaders (a proxy's bearer token).
  const secrets = [options.apiKey ?? ""];
  for (const [name, value] of Object.entries(options.defaultHeaders ?? {})) {
    if (/auth|key|token|secret/i.test(name)) secrets.push(value, value.replace(/^Bearer\s+/i, ""));
  }
  return {
    url: `${baseUrl}/messages`,
    headers,
    secrets: secrets.filter((secret) => secret.length >= 4),
    defaultMaxTokens: options.defaultMaxTokens,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    connectTimeoutMs: options.connectTimeoutMs,
    streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    retry: {
      maxRetries: options.maxRetries ?? options.retry?.maxRetries ?? 2,
      baseDelayMs: options.retry?.baseDelayMs ?? 500,
      maxDelayMs: options.retry?.maxDelayMs ?? 20_000,
    },
    fetch: options.fetch,
  };
}

async function generate(
  config: Config,
  request: LlmRequest,
  signal: AbortSignal | undefined,
): Promise<Completion> {
  const body = JSON.stringify(
    toAnthropicRequest(request, { defaultMaxTokens: config.defaultMaxTokens }),
  );
  const overall = deadline(config.timeoutMs, signal, "Upstream request");
  const attempts = new Attempts(config, overall.signal);
  try {
    for (;;) {
      const upstream = await attempts.open(body, "application/json");
      try {
        const text = await readBody(upstream.response, upstream.signal);
        return fromAnthropicMessage(parseJson(text, upstream.response.status) as AnthropicMessage);
      } catch (error) {
        // Nothing reached the caller yet, so a broken body may be retried.
        await attempts.backoff(failure(error, upstream.signal, config.secrets));
      } finally {
        upstream.release();
      }
    }
  } finally {
    overall.clear();
  }
}

async function* stream(
  config: Config,
  request: LlmRequest,
  signal: AbortSignal | undefined,
): AsyncGenerator<BackendEvent> {
  const body = JSON.stringify(
    toAnthropicRequest(request, { defaultMaxTokens: config.defaultMaxTokens, stream: true }),
  );
  const overall = deadline(config.timeoutMs, signal, "Upstream request");
  const attempts = new Attempts(config, overall.signal);
  let yielded = false;
  try {
    for (;;) {
      const upstream = await attempts.open(body, "text/event-stream");
      try {
        const state = new StreamState();
        const events = upstream.response.body
          ? readSse(upstream.response.body, {
              signal: upstream.signal,
              idleTimeoutMs: config.streamIdleTimeoutMs,
            })
          : [];
        for await (const message of events) {
          const event = parseJson(message.data, upstream.response.status);
          if (typeof event.type !== "string") continue;
          for (const out of state.apply(event as { type: string }, config.secrets)) {
            yielded = true;
            yield out;
          }
          if (state.done) return;
        }
        throw new UpstreamError({
          upstreamStatus: 0,
          message: "Upstream stream ended before message_stop",
        });
      } catch (error) {
        const cause = failure(error, upstream.signal, config.secrets);
        // Once output reached the caller a retry would repeat it.
        if (yielded) throw cause;
        await attempts.backoff(cause);
      } finally {
        upstream.release();
      }
    }
  } finally {
    overall.clear();
  }
}

/**
 * Retries across one call. fetchUpstream retries statuses it knows before
 * returning; this adds what it cannot see: a stream or
 * body that fails before any output was delivered. All share one budget.
 */
class Attempts {
  private retries = 0;

  constructor(
    private readonly config: Config,
    private readonly signal: AbortSignal,
  ) {}

  async open(body: string, accept: string): Promise<UpstreamResponse> {
    for (;;) {
      try {
        return await fetchUpstream(
          this.config.url,
          { method: "POST", headers: { accept, ...this.config.headers }, body },
          {
            signal: this.signal,
            // The caller's deadline already bounds the whole call.
            timeoutMs: Number.POSITIVE_INFINITY,
            connectTimeoutMs: this.config.connectTimeoutMs,
            retry: {
              ...this.config.retry,
              maxRetries: Math.max(0, this.config.retry.maxRetries - this.retries),
            },
            secrets: this.config.secrets,
            fetch: this.config.fetch,
            onRetry: () => {
              this.retries++;
            },
          },
        );
      } catch (error) {
        await this.backoff(error);
      }
    }
  }

  /** Waits before the next attempt, or rethrows `error` when it may not be retried. */
  async backoff(error: unknown): Promise<void> {
    const { maxRetries, baseDelayMs, maxDelayMs } = this.config.retry;
    if (!isRetryableUpstream(error) || this.retries >= maxRetries || this.signal.aborted) {
      throw error;
    }
    const requested = error.retryAfter;
    // A longer wait than allowed would only hold the client; hand it the wait instead.
    if (requested !== undefined && requested * 1000 > maxDelayMs) throw error;
    const delayMs =
      requested !== undefined
        ? requested * 1000
        : Math.min(maxDelayMs, baseDelayMs * 2 ** this.retries * (0.75 + Math.random() / 2));
    this.retries++;
    try {
      await sleep(delayMs, this.signal);
    } catch {
      throw abortError(this.signal);
    }
  }
}

/** Any failure while reading a response as an AiProxyError that names no secret. */
function failure(error: unknown, signal: AbortSignal, secrets: string[]): AiProxyError {
  if (AiProxyError.isInstance(error)) return error;
  if (signal.aborted) return abortError(signal);
  return new UpstreamError({
    upstreamStatus: 0,
    message: redactSecrets(`Upstream connection failed mid-response: ${describe(error)}`, secrets),
  });
}

/** A JSON object from a 2xx body; anything else is not worth retrying. */
function parseJson(text: string, status: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  throw new UpstreamError({ upstreamStatus: status, message: "Upstream sent malformed JSON" });
}

/** The whole body, given up (and the connection closed) as soon as `signal` aborts. */
async function readBody(response: Response, signal: AbortSignal): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const onAbort = () => {
    reader.cancel().catch(() => {});
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      if (signal.aborted) throw abortError(signal);
      const { done, value } = await reader.read();
      if (signal.aborted) throw abortError(signal);
      if (done) break;
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    const code =
      inner && typeof inner === "object" && "code" in inner ? ` (${String(inner.code)})` : "";
    return `${cause.message}${code}`;
  }
  return String(cause);
}
