import {
  type BackendEvent,
  type CallOptions,
  type Completion,
  deadline,
  type ExchangeConfig,
  type LlmBackend,
  type LlmRequest,
  parseJsonObject,
  type RetryPolicy,
  readBody,
  readFailure,
  readSse,
  resolveExchange,
  UpstreamAttempts,
  UpstreamError,
} from "@aiproxy/core";
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
interface Config extends ExchangeConfig {
  defaultMaxTokens: number | undefined;
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
  return {
    ...resolveExchange(`${baseUrl}/messages`, headers, options.apiKey, options),
    defaultMaxTokens: options.defaultMaxTokens,
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
  const attempts = new UpstreamAttempts(config, overall.signal, Date.now() + config.timeoutMs);
  try {
    for (;;) {
      const upstream = await attempts.open(body, "application/json");
      try {
        const text = await readBody(upstream.response, upstream.signal);
        return fromAnthropicMessage(
          parseJsonObject(text, upstream.response.status) as AnthropicMessage,
        );
      } catch (error) {
        // Nothing reached the caller yet, so a broken body may be retried.
        await attempts.backoff(readFailure(error, upstream.signal, config.secrets));
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
  const attempts = new UpstreamAttempts(config, overall.signal, Date.now() + config.timeoutMs);
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
          const event = parseJsonObject(message.data, upstream.response.status);
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
        const cause = readFailure(error, upstream.signal, config.secrets);
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
