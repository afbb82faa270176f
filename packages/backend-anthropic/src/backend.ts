import {
  answeredWhole,
  type BackendEvent,
  type CallOptions,
  type Completion,
  completionEvents,
  type ExchangeConfig,
  type ExchangeOptions,
  exchangeJson,
  exchangeStream,
  type LlmBackend,
  type LlmRequest,
  parseJsonObject,
  resolveExchange,
  type UpstreamBody,
  UpstreamError,
} from "@aiproxy/core";
import { streamError } from "./errors.js";
import { toAnthropicRequest } from "./request.js";
import { fromAnthropicMessage } from "./response.js";
import { assertMessage } from "./shape.js";
import { StreamState } from "./stream-state.js";
import type { AnthropicMessage } from "./wire.js";

export interface AnthropicBackendOptions extends ExchangeOptions {
  /** Default `https://api.anthropic.com/v1`; requests go to `{baseUrl}/messages`. */
  baseUrl?: string;
  /** Sent as `x-api-key`. Never appears in an error message. */
  apiKey?: string;
  /** The `anthropic-version` header. Default `2023-06-01`. */
  anthropicVersion?: string;
  /** `max_tokens` when a request sets none (Anthropic requires one). Default 4096. */
  defaultMaxTokens?: number;
}

export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com/v1";
export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

/** An LlmBackend over Anthropic's native Messages API. */
export function createAnthropicBackend(options: AnthropicBackendOptions = {}): LlmBackend {
  const config = resolveConfig(options);
  const { defaultMaxTokens } = options;
  return {
    provider: "anthropic",
    generate: (request: LlmRequest, call?: CallOptions) =>
      exchangeJson(
        config,
        JSON.stringify(toAnthropicRequest(request, { defaultMaxTokens })),
        (body, status) => messageFrom(body, status, config.secrets),
        { signal: call?.signal, headers: call?.headers, onRetry: call?.onRetry },
      ),
    stream: (request: LlmRequest, call?: CallOptions) =>
      exchangeStream(
        config,
        JSON.stringify(toAnthropicRequest(request, { defaultMaxTokens, stream: true })),
        (body) => decodeStream(body, config.secrets),
        { signal: call?.signal, headers: call?.headers, onRetry: call?.onRetry },
      ),
  };
}

function resolveConfig(options: AnthropicBackendOptions): ExchangeConfig {
  const baseUrl = (options.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, "");
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "anthropic-version": options.anthropicVersion ?? DEFAULT_ANTHROPIC_VERSION,
    ...options.defaultHeaders,
  };
  if (options.apiKey) headers["x-api-key"] = options.apiKey;
  return resolveExchange(`${baseUrl}/messages`, headers, options.apiKey, options);
}

/** A parsed 2xx body as a completion; one that is an error event, or no message, fails. */
function messageFrom(body: Record<string, unknown>, status: number, secrets: string[]): Completion {
  // Some proxies (and the API itself, mid-flight) send an error with a 200.
  if (body.type === "error") throw streamError(body.error, secrets);
  assertMessage(body, status, "Upstream response");
  return fromAnthropicMessage(body as AnthropicMessage);
}

/** One streamed response as backend events; a stream cut off before message_stop fails. */
async function* decodeStream(body: UpstreamBody, secrets: string[]): AsyncGenerator<BackendEvent> {
  if (answeredWhole(body)) {
    // A server that ignores `stream: true` answers with one whole message.
    for (const event of completionEvents(messageFrom(await body.json(), body.status, secrets)))
      yield event;
    return;
  }
  const state = new StreamState(body.status);
  for await (const message of body.events()) {
    const event = parseJsonObject(message.data, body.status);
    if (message.event === "error" && event.type !== "error") {
      throw streamError(typeof event.error === "object" ? event.error : event, secrets);
    }
    if (typeof event.type !== "string") continue;
    // for-of, not `yield*`: that wraps the array in an async iterator, a few promises per event.
    for (const out of state.apply(event as { type: string }, secrets)) yield out;
    if (state.done) return;
  }
  throw new UpstreamError({
    upstreamStatus: 0,
    message: "Upstream stream ended before message_stop",
  });
}
