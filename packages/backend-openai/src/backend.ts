import {
  answeredWhole,
  type BackendEvent,
  type CallOptions,
  completionEvents,
  type ExchangeConfig,
  type ExchangeOptions,
  exchangeJson,
  exchangeStream,
  type LlmBackend,
  type LlmRequest,
  type RelayCallOptions,
  resolveExchange,
  type UpstreamBody,
  type WireEvent,
} from "@aiproxy/core";
import { ChunkAccumulator } from "./accumulator.js";
import { relayStream } from "./relay-stream.js";
import { toOpenAIRequest } from "./request.js";
import { assertComplete, completionFrom, DONE, readChunk } from "./stream.js";

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
    wire: "openai-chat",
    relay: (request: LlmRequest, call: RelayCallOptions) => relay(config, request, call),
  };
}

/** The chat-completions wire as it arrives: each chunk's text, beside its canonical events. */
function relay(
  config: ExchangeConfig,
  request: LlmRequest,
  call: RelayCallOptions,
): AsyncIterable<WireEvent> {
  const options = { signal: call.signal, headers: call.headers, onRetry: call.onRetry };
  if (call.stream) {
    const body = JSON.stringify(toOpenAIRequest(request, { stream: true }));
    return exchangeStream(
      config,
      body,
      (upstream) => relayStream(upstream, config.secrets),
      options,
    );
  }
  return (async function* () {
    yield await exchangeJson(
      config,
      JSON.stringify(toOpenAIRequest(request)),
      (json, status) => ({
        chunk: json,
        events: [...completionEvents(completionFrom(json, status, config.secrets))],
      }),
      options,
    );
  })();
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
    const chunk = readChunk(message, body.status, secrets);
    if (chunk === DONE) {
      done = true;
      break;
    }
    // for-of, not `yield*`: that wraps the array in an async iterator, a few promises per event.
    for (const event of accumulator.push(chunk)) yield event;
  }
  assertComplete(done, accumulator);
  for (const event of accumulator.finish()) yield event;
}
