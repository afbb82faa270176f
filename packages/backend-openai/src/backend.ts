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
import { ChunkAccumulator } from "./accumulator.js";
import { streamError } from "./errors.js";
import { toOpenAIRequest } from "./request.js";
import { fromOpenAICompletion } from "./response.js";
import { assertChoices } from "./shape.js";
import type { OpenAIChatCompletion, OpenAIChatCompletionChunk } from "./wire.js";

export interface OpenAIBackendOptions extends ExchangeOptions {
  /** Default `https://api.openai.com/v1`; requests go to `{baseUrl}/chat/completions`. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer`; no header when unset (Ollama, vLLM). Never appears in an error. */
  apiKey?: string;
}

export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/** An LlmBackend over any OpenAI-compatible `POST /chat/completions`. */
export function createOpenAIBackend(options: OpenAIBackendOptions = {}): LlmBackend {
  const config = resolveConfig(options);
  return {
    provider: "openai",
    generate: (request: LlmRequest, call?: CallOptions) =>
      exchangeJson(
        config,
        JSON.stringify(toOpenAIRequest(request)),
        (body, status) => completionFrom(body, status, config.secrets),
        { signal: call?.signal, headers: call?.headers, onRetry: call?.onRetry },
      ),
    stream: (request: LlmRequest, call?: CallOptions) =>
      exchangeStream(
        config,
        JSON.stringify(toOpenAIRequest(request, { stream: true })),
        (body) => decodeStream(body, config.secrets),
        { signal: call?.signal, headers: call?.headers, onRetry: call?.onRetry },
      ),
  };
}

function resolveConfig(options: OpenAIBackendOptions): ExchangeConfig {
  const baseUrl = (options.baseUrl ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, "");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  Object.assign(headers, options.defaultHeaders);
  return resolveExchange(`${baseUrl}/chat/completions`, headers, options.apiKey, options);
}

/** One streamed response as backend events; a stream cut off before its end fails. */
async function* decodeStream(body: UpstreamBody, secrets: string[]): AsyncGenerator<BackendEvent> {
  if (answeredWhole(body)) {
    // A server that ignores `stream: true` answers with one whole completion.
    for (const event of completionEvents(completionFrom(await body.json(), body.status, secrets)))
      yield event;
    return;
  }
  const accumulator = new ChunkAccumulator({ secrets });
  let done = false;
  for await (const message of body.events()) {
    if (message.data.trim() === "[DONE]") {
      done = true;
      break;
    }
    const chunk = parseJsonObject(message.data, body.status) as OpenAIChatCompletionChunk;
    // vLLM and some proxies report errors as `event: error` or a top-level error object.
    if (message.event === "error" || chunk.object === "error") {
      throw streamError(chunk.error ?? chunk, secrets);
    }
    if (chunk.error == null) assertChoices(chunk.choices, "delta", body.status);
    // for-of, not `yield*`: that wraps the array in an async iterator, a few promises per event.
    for (const event of accumulator.push(chunk)) yield event;
  }
  // `[DONE]` is optional for some servers; a stream that ended cleanly
  // after its finish_reason is complete, one that ended before it was cut off.
  if (!done && !accumulator.sawFinishReason) {
    throw new UpstreamError({
      upstreamStatus: 0,
      message: "Upstream stream ended before a finish_reason",
    });
  }
  for (const event of accumulator.finish()) yield event;
}

/** A parsed 2xx body as a completion; an `{"error": ...}` body or one without choices fails. */
function completionFrom(
  body: Record<string, unknown>,
  status: number,
  secrets: string[],
): Completion {
  if (body.error != null || body.object === "error") throw streamError(body.error ?? body, secrets);
  // A well-formed answer that says nothing usable will not improve on a retry.
  assertChoices(body.choices, "message", status);
  return fromOpenAICompletion(body as OpenAIChatCompletion);
}
