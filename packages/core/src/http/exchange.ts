import { AiProxyError, abortError, UpstreamError } from "../errors.js";
import { redactSecrets } from "../redact.js";
import { sleep } from "./signals.js";
import {
  describeCause,
  fetchUpstream,
  isRetryableStatus,
  type RetryPolicy,
  type UpstreamResponse,
} from "./upstream.js";

/**
 * What an LLM adapter needs to talk to its provider; `resolveExchange`
 * builds one from the options every adapter shares.
 */
export interface ExchangeConfig {
  url: string;
  headers: Record<string, string>;
  /** Credentials to scrub from every error message. */
  secrets: string[];
  timeoutMs: number;
  connectTimeoutMs: number | undefined;
  streamIdleTimeoutMs: number;
  retry: Required<RetryPolicy>;
  fetch: typeof fetch | undefined;
}

export interface ExchangeOptions {
  timeoutMs?: number;
  connectTimeoutMs?: number;
  streamIdleTimeoutMs?: number;
  maxRetries?: number;
  retry?: RetryPolicy;
  fetch?: typeof fetch;
  defaultHeaders?: Record<string, string>;
}

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
    fetch: options.fetch,
  };
}

/** An upstream failure the same request may get past if sent again. */
export function isRetryableUpstream(error: unknown): error is UpstreamError {
  return UpstreamError.isInstance(error) && isRetryableStatus(error.upstreamStatus);
}

/**
 * The retries of one adapter call. fetchUpstream retries the statuses it
 * sees before returning; this adds what it cannot see: a body or stream that
 * fails before any output was delivered. All share one budget, and no wait
 * may run past the call's deadline: a longer Retry-After fails at once, and
 * the client gets it.
 */
export class UpstreamAttempts {
  private retries = 0;

  constructor(
    private readonly config: ExchangeConfig,
    private readonly signal: AbortSignal,
    private readonly deadlineAt: number,
  ) {}

  /** The longest wait allowed now: the policy's limit, or the time left if that is shorter. */
  private maxDelayMs(): number {
    return Math.max(0, Math.min(this.config.retry.maxDelayMs, this.deadlineAt - Date.now()));
  }

  /** POSTs `body` until a 2xx arrives or the failure may not be retried. */
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

/** Any failure while reading a response, as an AiProxyError that names no secret. */
export function readFailure(error: unknown, signal: AbortSignal, secrets: string[]): AiProxyError {
  if (AiProxyError.isInstance(error)) return error;
  if (signal.aborted) return abortError(signal);
  return new UpstreamError({
    upstreamStatus: 0,
    message: redactSecrets(
      `Upstream connection failed mid-response: ${describeCause(error)}`,
      secrets,
    ),
  });
}

/** A JSON object from a 2xx body; anything else is an UpstreamError not worth retrying. */
export function parseJsonObject(text: string, status: number): Record<string, unknown> {
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
export async function readBody(response: Response, signal: AbortSignal): Promise<string> {
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
