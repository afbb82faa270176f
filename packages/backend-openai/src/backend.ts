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
import { ChunkAccumulator } from "./accumulator.js";
import { isRetryableUpstream, streamError } from "./errors.js";
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
const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 120_000;

interface Config {
  url: string;
  headers: Record<string, string>;
  secrets: string[];
  timeoutMs: number;
  connectTimeoutMs: number | undefined;
  streamIdleTimeoutMs: number;
  retry: Required<RetryPolicy>;
  fetch: typeof fetch | undefined;
}

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
  // A credential may also come in through defaultHeaders (Azure's api-key, a proxy's token).
  const secrets = [options.apiKey ?? ""];
  for (const [name, value] of Object.entries(options.defaultHeaders ?? {})) {
    if (/auth|key|token|secret/i.test(name)) secrets.push(value, value.replace(/^Bearer\s+/i, ""));
  }
  return {
    url: `${baseUrl}/chat/completions`,
    headers,
    secrets: secrets.filter((secret) => secret.length >= 4),
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
  const body = JSON.stringify(toOpenAIRequest(request));
  const overall = deadline(config.timeoutMs, signal, "Upstream request");
  const attempts = new Attempts(config, overall.signal, Date.now() + config.timeoutMs);
  try {
    for (;;) {
      const upstream = await attempts.open(body, "application/json");
      try {
        const text = await readBody(upstream.response, upstream.signal);
        return completionFrom(
          parseJson(text, upstream.response.status),
          upstream.response.status,
          config.secrets,
        );
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
  const body = JSON.stringify(toOpenAIRequest(request, { stream: true }));
  const overall = deadline(config.timeoutMs, signal, "Upstream request");
  const attempts = new Attempts(config, overall.signal, Date.now() + config.timeoutMs);
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
            parseJson(text, response.status),
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
          const chunk = parseJson(message.data, response.status) as OpenAIChatCompletionChunk;
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
 * returning; this adds what it cannot see: a stream or body that fails
 * before any output was delivered. All share one budget, and no wait may
 * run past the call's deadline: a longer Retry-After fails at once and is
 * handed to the client.
 */
class Attempts {
  private retries = 0;

  constructor(
    private readonly config: Config,
    private readonly signal: AbortSignal,
    private readonly deadlineAt: number,
  ) {}

  /** The longest wait allowed now: the policy's limit, or the time left if that is shorter. */
  private maxDelayMs(): number {
    return Math.max(0, Math.min(this.config.retry.maxDelayMs, this.deadlineAt - Date.now()));
  }

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
              maxDelayMs: this.maxDelayMs(),
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
    const { maxRetries, baseDelayMs } = this.config.retry;
    if (!isRetryableUpstream(error) || this.retries >= maxRetries || this.signal.aborted) {
      throw error;
    }
    const maxDelayMs = this.maxDelayMs();
    const requested = error.retryAfter;
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
      message: redactSecrets(`Upstream sent an unusable completion: ${describe(error)}`, secrets),
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
