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
  type RelayCallOptions,
  resolveExchange,
  type SseMessage,
  type UpstreamBody,
  UpstreamError,
  type WireEvent,
} from "@aiproxy/core";
import { ChunkAccumulator } from "./accumulator.js";
import { streamError } from "./errors.js";
import { type PlainChunk, readPlainChunk } from "./plain-chunk.js";
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

async function* relayStream(body: UpstreamBody, secrets: string[]): AsyncGenerator<WireEvent> {
  if (answeredWhole(body)) {
    const json = await body.json();
    const events = [...completionEvents(completionFrom(json, body.status, secrets))];
    yield { chunk: chunkOfWhole(json), events };
    return;
  }
  const accumulator = new ChunkAccumulator({ secrets });
  let done = false;
  for await (const message of body.events()) {
    const plain = message.event === "error" ? undefined : readPlainChunk(message.data);
    if (plain) {
      yield new PlainItem(message.data, plain, accumulator.push(plain.chunk), body.status);
      continue;
    }
    const chunk = readChunk(message, body.status, secrets);
    if (chunk === DONE) {
      done = true;
      break;
    }
    yield { data: message.data, chunk, events: accumulator.push(chunk) };
  }
  assertComplete(done, accumulator);
  yield { events: accumulator.finish() };
}

/**
 * A plain chunk's item: a relay forwards its text, so its object is built
 * only if something reads it (a JSON.parse per chunk was the largest cost
 * of a relayed stream in the gateway's profile).
 */
class PlainItem implements WireEvent {
  #chunk: Record<string, unknown> | undefined;

  constructor(
    readonly data: string,
    readonly plain: PlainChunk,
    readonly events: BackendEvent[],
    private readonly status: number,
  ) {}

  get chunk(): Record<string, unknown> {
    this.#chunk ??= parseJsonObject(this.data, this.status);
    return this.#chunk;
  }
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

const DONE = Symbol("[DONE]");

/** One SSE event as a chunk, or DONE for `[DONE]`; an error event throws. */
function readChunk(
  message: SseMessage,
  status: number,
  secrets: string[],
): OpenAIChatCompletionChunk | typeof DONE {
  if (message.data.trim() === "[DONE]") return DONE;
  const chunk = parseJsonObject(message.data, status) as OpenAIChatCompletionChunk;
  // vLLM and some proxies report errors as `event: error` or a top-level error object.
  if (message.event === "error" || chunk.object === "error") {
    throw streamError(chunk.error ?? chunk, secrets);
  }
  if (chunk.error == null) assertChoices(chunk.choices, "delta", status);
  return chunk;
}

/**
 * `[DONE]` is optional for some servers; a stream that ended cleanly after
 * its finish_reason is complete, one that ended before it was cut off.
 */
function assertComplete(done: boolean, accumulator: ChunkAccumulator): void {
  if (done || accumulator.sawFinishReason) return;
  throw new UpstreamError({
    upstreamStatus: 0,
    message: "Upstream stream ended before a finish_reason",
  });
}

/** A whole completion (a server that ignored `stream: true`) as the one chunk a stream of it would be. */
function chunkOfWhole(body: Record<string, unknown>): Record<string, unknown> {
  const { choices, ...rest } = body as OpenAIChatCompletion;
  return {
    ...rest,
    object: "chat.completion.chunk",
    choices: (choices ?? []).map(({ message, ...choice }) => ({
      ...choice,
      delta: {
        ...message,
        ...(message?.tool_calls && {
          tool_calls: message.tool_calls.map((call, index) => ({ index, ...call })),
        }),
      },
    })),
  };
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
