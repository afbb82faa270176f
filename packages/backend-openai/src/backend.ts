import {
  type BackendEvent,
  type CallOptions,
  type Completion,
  deadline,
  describeCause,
  type ExchangeConfig,
  type LlmBackend,
  type LlmRequest,
  parseJsonObject,
  type RetryPolicy,
  readBody,
  readFailure,
  readSse,
  redactSecrets,
  resolveExchange,
  UpstreamAttempts,
  UpstreamError,
} from "@aiproxy/core";
import { ChunkAccumulator } from "./accumulator.js";
import { streamError } from "./errors.js";
import { toOpenAIRequest } from "./request.js";
import { fromOpenAICompletion } from "./response.js";
import type { OpenAIChatCompletion, OpenAIChatCompletionChunk } from "./wire.js";

export interface OpenAIBackendOptions {
  /** Default `https://api.openai.com/v1`; requests go to `{baseUrl}/chat/completions`. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer`; no header when unset (Ollama, vLLM). Never appears in an error. */
  apiKey?: string;
  /** Extra headers on every request (e.g. `OpenAI-Organization`); they may override the defaults. */
  defaultHeaders?: Record<string, string>;
  /** The whole exchange: retries, waits and the body. Default 10 minutes. */
  timeoutMs?: number;
  /** Until response headers arrive, per attempt. Default 30 s. */
  connectTimeoutMs?: number;
  /** A stream that sends nothing for this long fails with a TimeoutError. Default 120 s. */
  streamIdleTimeoutMs?: number;
  /** Retries before the first byte of output. Default 2; shorthand for `retry.maxRetries`. */
  maxRetries?: number;
  retry?: RetryPolicy;
  /** For tests and custom agents. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

export const DEFAULT_BASE_URL = "https://api.openai.com/v1";

type Config = ExchangeConfig;

/** An LlmBackend over any OpenAI-compatible `POST /chat/completions`. */
export function createOpenAIBackend(options: OpenAIBackendOptions = {}): LlmBackend {
  const config = resolveConfig(options);
  return {
    provider: "openai",
    generate: (request: LlmRequest, call?: CallOptions) => generate(config, request, call?.signal),
    stream: (request: LlmRequest, call?: CallOptions) => stream(config, request, call?.signal),
  };
}

function resolveConfig(options: OpenAIBackendOptions): Config {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  Object.assign(headers, options.defaultHeaders);
  return resolveExchange(`${baseUrl}/chat/completions`, headers, options.apiKey, options);
}

async function generate(
  config: Config,
  request: LlmRequest,
  signal: AbortSignal | undefined,
): Promise<Completion> {
  const body = JSON.stringify(toOpenAIRequest(request));
  const overall = deadline(config.timeoutMs, signal, "Upstream request");
  const attempts = new UpstreamAttempts(config, overall.signal, Date.now() + config.timeoutMs);
  try {
    for (;;) {
      const upstream = await attempts.open(body, "application/json");
      try {
        const text = await readBody(upstream.response, upstream.signal);
        return completionFrom(
          parseJsonObject(text, upstream.response.status),
          upstream.response.status,
          config.secrets,
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
  const body = JSON.stringify(toOpenAIRequest(request, { stream: true }));
  const overall = deadline(config.timeoutMs, signal, "Upstream request");
  const attempts = new UpstreamAttempts(config, overall.signal, Date.now() + config.timeoutMs);
  let yielded = false;
  try {
    for (;;) {
      const upstream = await attempts.open(body, "text/event-stream");
      try {
        const { response } = upstream;
        if (isJson(response)) {
          // A server that ignores `stream: true` answers with one whole completion.
          const text = await readBody(response, upstream.signal);
          const completion = completionFrom(
            parseJsonObject(text, response.status),
            response.status,
            config.secrets,
          );
          yielded = true;
          yield* eventsOf(completion);
          return;
        }
        const accumulator = new ChunkAccumulator({ secrets: config.secrets });
        let done = false;
        const messages = response.body
          ? readSse(response.body, {
              signal: upstream.signal,
              idleTimeoutMs: config.streamIdleTimeoutMs,
            })
          : [];
        for await (const message of messages) {
          if (message.data.trim() === "[DONE]") {
            done = true;
            break;
          }
          const chunk = parseJsonObject(message.data, response.status) as OpenAIChatCompletionChunk;
          // vLLM and some proxies report errors as `event: error` or a top-level error object.
          if (message.event === "error" || chunk.object === "error") {
            throw streamError(chunk.error ?? chunk, config.secrets);
          }
          for (const event of accumulator.push(chunk)) {
            yielded = true;
            yield event;
          }
        }
        // `[DONE]` is optional for some servers; a stream that ended cleanly
        // after its finish_reason is complete, one that ended before it was cut off.
        if (!done && !accumulator.sawFinishReason) {
          throw new UpstreamError({
            upstreamStatus: 0,
            message: "Upstream stream ended before a finish_reason",
          });
        }
        yield* accumulator.finish();
        return;
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

/** A parsed 2xx body as a completion; an `{"error": ...}` body or one without choices fails. */
function completionFrom(
  body: Record<string, unknown>,
  status: number,
  secrets: string[],
): Completion {
  if (body.error != null || body.object === "error") throw streamError(body.error ?? body, secrets);
  try {
    return fromOpenAICompletion(body as OpenAIChatCompletion);
  } catch (error) {
    // A well-formed answer that says nothing usable will not improve on a retry.
    throw new UpstreamError({
      upstreamStatus: status,
      message: redactSecrets(
        `Upstream sent an unusable completion: ${describeCause(error)}`,
        secrets,
      ),
    });
  }
}

/** A whole completion as the events a stream of it would have produced. */
function* eventsOf(completion: Completion): Generator<BackendEvent> {
  const { message } = completion;
  if (message.content) yield { type: "text-delta", delta: message.content };
  for (const [index, call] of (message.tool_calls ?? []).entries()) {
    yield { type: "tool-call-delta", index, id: call.id, name: call.function.name };
    yield { type: "tool-call-delta", index, argumentsDelta: call.function.arguments };
  }
  const finish: BackendEvent = {
    type: "finish",
    finishReason: completion.finishReason,
    usage: completion.usage,
    message,
  };
  if (completion.id !== undefined) finish.id = completion.id;
  yield finish;
}

function isJson(response: Response): boolean {
  return /^application\/json\b/i.test(response.headers.get("content-type") ?? "");
}
