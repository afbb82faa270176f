import { abortError, UpstreamError } from "../errors.js";
import type { ExchangeConfig } from "./exchange.js";
import { sleep } from "./signals.js";
import { fetchUpstream, isRetryableStatus, type UpstreamResponse } from "./upstream.js";

/** An upstream failure the same request may get past if sent again. */
export function isRetryableUpstream(error: unknown): error is UpstreamError {
  return UpstreamError.isInstance(error) && isRetryableStatus(error.upstreamStatus);
}

/**
 * The retries of one exchange. fetchUpstream retries the statuses it sees
 * before returning; this adds what it cannot see: a body or stream that
 * fails before any output was delivered. All share one budget and one
 * attempt count, and no wait may run past the call's deadline: a longer
 * Retry-After fails at once, and the client gets it.
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
    const { onAttempt, onRetry } = this.config;
    for (;;) {
      // fetchUpstream counts from 1 per call; the exchange counts every request it sends.
      const offset = this.retries;
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
            onAttempt: (info) => onAttempt?.({ ...info, attempt: offset + info.attempt }),
            onRetry: (info) => {
              this.retries++;
              onRetry?.({ ...info, attempt: offset + info.attempt });
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
    this.config.onRetry?.({ attempt: this.retries, delayMs, error });
    try {
      await sleep(delayMs, this.signal);
    } catch {
      throw abortError(this.signal);
    }
  }
}
