import { abortError } from "../errors.js";
import type { HeaderReader } from "./answer.js";
import { UpstreamAttempts } from "./attempts.js";
import { discardBody, parseJsonObject, readBody, readFailure, unexpectedBody } from "./body.js";
import { type Deadline, deadline } from "./signals.js";
import { readSse, type SseMessage } from "./sse.js";
import type { AttemptInfo, RetryInfo, RetryPolicy, UpstreamResponse } from "./upstream.js";

/** How an adapter talks to its provider; every adapter's options extend this. */
export interface ExchangeOptions {
  /** The whole exchange: retries, waits and the body. Default 10 minutes. */
  timeoutMs?: number;
  /** Until response headers arrive, per attempt. Default 30 s. */
  connectTimeoutMs?: number;
  /** A stream that sends nothing (not even a ping) for this long fails with a TimeoutError. Default 120 s. */
  streamIdleTimeoutMs?: number;
  /** Retries before the first byte of output. Default 2; shorthand for `retry.maxRetries`. */
  maxRetries?: number;
  retry?: RetryPolicy;
  /** The largest non-streamed response body accepted, counted while reading. Default 32 MiB. */
  maxResponseBytes?: number;
  /** The largest single SSE event accepted, counted while reading. Default 4 MiB. */
  maxEventBytes?: number;
  /** Sends each request, for tests and custom agents. Default: undici's `request` on a shared pool. */
  fetch?: typeof fetch;
  /** Extra headers on every request; they may override the adapter's own. Credential-like values are redacted from errors. */
  defaultHeaders?: Record<string, string>;
  /** Called as each HTTP request ends: its status arrived, or it failed without one. */
  onAttempt?: (info: AttemptInfo) => void;
  /** Called before each retry's wait, with the failure being retried. */
  onRetry?: (info: RetryInfo) => void;
}

/** ExchangeOptions resolved for one endpoint; built by `resolveExchange`. */
export interface ExchangeConfig {
  url: string;
  headers: Record<string, string>;
  /** Credentials to scrub from every error message. */
  secrets: string[];
  timeoutMs: number;
  connectTimeoutMs: number | undefined;
  streamIdleTimeoutMs: number;
  retry: Required<RetryPolicy>;
  maxResponseBytes: number;
  maxEventBytes: number;
  fetch: typeof fetch | undefined;
  onAttempt: ((info: AttemptInfo) => void) | undefined;
  onRetry: ((info: RetryInfo) => void) | undefined;
}

const MiB = 1024 * 1024;

/**
 * The shared half of an adapter's config. `credential` is the API key, and
 * any credential-like `defaultHeaders` value (Azure's api-key, a proxy's
 * token) is treated as a secret too.
 */
export function resolveExchange(
  url: string,
  headers: Record<string, string>,
  credential: string | undefined,
  options: ExchangeOptions,
): ExchangeConfig {
  const secrets = [credential ?? ""];
  for (const [name, value] of Object.entries(options.defaultHeaders ?? {})) {
    if (/auth|key|token|secret/i.test(name)) secrets.push(value, value.replace(/^Bearer\s+/i, ""));
  }
  return {
    url,
    headers,
    secrets: secrets.filter((secret) => secret.length >= 4),
    timeoutMs: options.timeoutMs ?? 600_000,
    connectTimeoutMs: options.connectTimeoutMs,
    streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? 120_000,
    retry: {
      maxRetries: options.maxRetries ?? options.retry?.maxRetries ?? 2,
      baseDelayMs: options.retry?.baseDelayMs ?? 500,
      maxDelayMs: options.retry?.maxDelayMs ?? 20_000,
    },
    maxResponseBytes: options.maxResponseBytes ?? 32 * MiB,
    maxEventBytes: options.maxEventBytes ?? 4 * MiB,
    fetch: options.fetch,
    onAttempt: options.onAttempt,
    onRetry: options.onRetry,
  };
}

/** A 2xx response as a stream decoder sees it: read through the exchange's limits. */
export interface UpstreamBody {
  readonly status: number;
  readonly headers: HeaderReader;
  /** The whole body as a JSON object, at most `maxResponseBytes`; anything else fails. */
  json(): Promise<Record<string, unknown>>;
  /** The body as server-sent events, each at most `maxEventBytes`, under the idle timeout. */
  events(): AsyncIterable<SseMessage>;
}

export interface ExchangeCallOptions {
  signal?: AbortSignal | undefined;
  /** Headers for this call only (trace context), over the config's. */
  headers?: Record<string, string> | undefined;
  /** Called before each retry of this call, after the config's `onRetry`. */
  onRetry?: ((info: RetryInfo) => void) | undefined;
}

/**
 * POSTs `body` and returns `parse` of the JSON answer. Statuses, broken
 * connections and cut-off bodies are retried within the config's budget
 * and deadline, and so is an UpstreamError `parse` throws with a retryable
 * status (a 2xx body that is an "overloaded" error); anything else it
 * throws is final.
 */
export async function exchangeJson<T>(
  config: ExchangeConfig,
  body: string,
  parse: (json: Record<string, unknown>, status: number) => T,
  { signal, ...call }: ExchangeCallOptions = {},
): Promise<T> {
  const { overall, attempts } = startExchange(config, signal, call);
  try {
    for (;;) {
      const upstream = await attempts.open(body, "application/json");
      try {
        const json = await upstreamBody(upstream, config).json();
        try {
          return parse(json, upstream.response.status);
        } catch (error) {
          throw unexpectedBody(error, upstream.response.status);
        }
      } catch (error) {
        // Nothing reached the caller yet, so a broken body may be retried.
        await attempts.backoff(error);
      } finally {
        upstream.release();
        discardBody(upstream.response);
      }
    }
  } finally {
    overall.clear();
  }
}

/**
 * POSTs `body` and yields what `decode` makes of the response. A failure
 * before `decode` yielded anything is retried like a status; once output
 * reached the caller, it is thrown, since a retry would repeat that output.
 * Breaking out of the loop closes the connection.
 */
export async function* exchangeStream<T>(
  config: ExchangeConfig,
  body: string,
  decode: (body: UpstreamBody) => AsyncIterable<T>,
  { signal, ...call }: ExchangeCallOptions = {},
): AsyncGenerator<T> {
  const { overall, attempts } = startExchange(config, signal, call);
  let yielded = false;
  try {
    for (;;) {
      const upstream = await attempts.open(body, "text/event-stream");
      try {
        for await (const item of decode(upstreamBody(upstream, config))) {
          yielded = true;
          yield item;
        }
        return;
      } catch (error) {
        const cause = upstream.signal.aborted
          ? abortError(upstream.signal)
          : unexpectedBody(error, upstream.response.status);
        if (yielded) throw cause;
        await attempts.backoff(cause);
      } finally {
        upstream.release();
        discardBody(upstream.response);
      }
    }
  } finally {
    overall.clear();
  }
}

/** One call's overall deadline, and its attempts, which share that deadline and one retry budget. */
function startExchange(
  config: ExchangeConfig,
  signal: AbortSignal | undefined,
  call: ExchangeCallOptions,
): { overall: Deadline; attempts: UpstreamAttempts } {
  const overall = deadline(config.timeoutMs, signal, "Upstream request");
  const attempts = new UpstreamAttempts(
    forCall(config, call),
    overall.signal,
    Date.now() + config.timeoutMs,
  );
  return { overall, attempts };
}

/** The config with one call's own headers and retry hook on top. */
function forCall(
  config: ExchangeConfig,
  { headers, onRetry }: ExchangeCallOptions,
): ExchangeConfig {
  if (!headers && !onRetry) return config;
  const own = config.onRetry;
  return {
    ...config,
    headers: headers ? { ...config.headers, ...headers } : config.headers,
    onRetry: onRetry
      ? (info) => {
          own?.(info);
          onRetry(info);
        }
      : own,
  };
}

function upstreamBody(upstream: UpstreamResponse, config: ExchangeConfig): UpstreamBody {
  const { response, signal } = upstream;
  return {
    status: response.status,
    headers: response.headers,
    async json() {
      let text: string;
      try {
        text = await readBody(response, signal, config.maxResponseBytes);
      } catch (error) {
        throw readFailure(error, signal, config.secrets);
      }
      return parseJsonObject(text, response.status);
    },
    events() {
      if (!response.body) return NO_EVENTS;
      const events = readSse(response.body, {
        signal,
        idleTimeoutMs: config.streamIdleTimeoutMs,
        maxEventBytes: config.maxEventBytes,
        status: response.status,
      });
      const failed = (error: unknown): never => {
        throw readFailure(error, signal, config.secrets);
      };
      // readSse's own generator with its failures translated, rather than a
      // second async generator around it: that cost a few promises per event.
      const translated: AsyncIterableIterator<SseMessage> = {
        [Symbol.asyncIterator]: () => translated,
        next: () => events.next().then(undefined, failed),
        return: () => events.return(undefined).then(undefined, failed),
      };
      return translated;
    },
  };
}

const NO_EVENTS: AsyncIterable<SseMessage> = {
  [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
};
