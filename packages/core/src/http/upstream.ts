import { AbortedError, AiProxyError, abortError, TimeoutError, UpstreamError } from "../errors.js";
import { redactSecrets } from "../redact.js";
import { type HttpAnswer, sendRequest } from "./answer.js";
import { parseRetryAfter } from "./retry-after.js";
import { type Deadline, deadline, sleep } from "./signals.js";

export interface RetryPolicy {
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  /** First backoff; doubles per attempt, with jitter. Default 500 ms. */
  baseDelayMs?: number;
  /** The longest wait we accept, from backoff or Retry-After. Default 20 s. */
  maxDelayMs?: number;
}

export interface UpstreamRequestOptions {
  signal?: AbortSignal;
  /** Time allowed until response headers arrive, per attempt. Default 30 s. */
  connectTimeoutMs?: number;
  /** Time allowed for the whole exchange, retries and body included. Default 10 min. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Strings that must never appear in an error message (API keys). */
  secrets?: string[];
  /** Sends each request instead of undici's `request` (tests, custom agents). */
  fetch?: typeof fetch;
  /** Called as each attempt ends: its response status arrived, or it failed without one. */
  onAttempt?: (info: AttemptInfo) => void;
  /** Called before each retry; for logs and tests. */
  onRetry?: (info: RetryInfo) => void;
}

/** One HTTP request of an exchange, as reported to `onAttempt`. */
export interface AttemptInfo {
  /** 1 for the first request, 2 for the first retry, and so on. */
  attempt: number;
  /** The upstream's HTTP status; 0 when no response arrived. */
  status: number;
  /** Why the attempt failed; absent for a 2xx. */
  error?: AiProxyError;
  /** From sending the request to its status (or failure). */
  durationMs: number;
}

/** A retry about to be waited for, as reported to `onRetry`. */
export interface RetryInfo {
  /** The attempt that failed; the next one is `attempt + 1`. */
  attempt: number;
  /** How long the exchange waits before sending it again. */
  delayMs: number;
  error: AiProxyError;
}

export interface UpstreamResponse {
  response: HttpAnswer;
  /** Aborts on the caller's signal or the overall timeout; pass it to body readers. */
  signal: AbortSignal;
  /** Stops the overall timer. Call once the body is consumed or abandoned. */
  release(): void;
}

/** Statuses worth retrying: the request may succeed unchanged (529 is Anthropic's "overloaded"). */
const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504, 529]);

/** Whether an upstream status (0: no response at all) may succeed if the same request is sent again. */
export function isRetryableStatus(status: number): boolean {
  return status === 0 || RETRYABLE.has(status);
}

/**
 * One upstream HTTP exchange with connect and overall timeouts, retries
 * before the first byte on 408/409/429/5xx and network errors (honouring
 * Retry-After), and errors that name the upstream's status and message but
 * never a credential. Once a 2xx response is returned nothing is retried:
 * output may already have reached the client.
 */
export async function fetchUpstream(
  url: string,
  init: UpstreamRequestInit,
  options: UpstreamRequestOptions = {},
): Promise<UpstreamResponse> {
  const { maxRetries = 2, baseDelayMs = 500, maxDelayMs = 20_000 } = options.retry ?? {};
  const custom = options.fetch;
  const timeoutMs = options.timeoutMs ?? 600_000;
  // Without a timer of its own (an exchange passes its deadline's signal and
  // Infinity) the overall signal is the caller's: one AbortController less.
  const overall: Deadline =
    options.signal && !(timeoutMs > 0 && Number.isFinite(timeoutMs))
      ? { signal: options.signal, clear() {} }
      : deadline(timeoutMs, options.signal, "Upstream request");
  const secrets = options.secrets ?? [];
  try {
    for (let attempt = 0; ; attempt++) {
      let error: AiProxyError;
      // fetch ties the body to the signal it was given, so that signal must keep
      // following the overall one after the headers: only the connect timer stops there.
      const connect = deadline(
        options.connectTimeoutMs ?? 30_000,
        overall.signal,
        "Upstream connect",
      );
      const startedAt = performance.now();
      const report = (status: number, failure?: AiProxyError) => {
        const info: AttemptInfo = {
          attempt: attempt + 1,
          status,
          durationMs: performance.now() - startedAt,
        };
        if (failure) info.error = failure;
        options.onAttempt?.(info);
      };
      try {
        // Redirects are refused: an LLM API has no business redirecting a POST
        // that carries a credential, and with redirects allowed fetch clones
        // (tees) every request body in case it has to send it again.
        const response: HttpAnswer = custom
          ? await custom(url, { redirect: "error", window: null, ...init, signal: connect.signal })
          : await sendRequest(url, { ...init, signal: connect.signal });
        if (response.status >= 300 && response.status < 400 && response.headers.get("location")) {
          await response.body?.cancel().catch(() => {});
          throw REDIRECT_REFUSED;
        }
        if (response.ok) {
          connect.stopTimer();
          report(response.status);
          // The body is read under the overall deadline, not the connect one.
          return { response, signal: overall.signal, release: () => overall.clear() };
        }
        // A stalled error body counts against the connect timer, like missing headers.
        error = await upstreamErrorFrom(response, secrets);
        connect.clear();
        if (overall.signal.aborted) throw abortError(overall.signal);
        report(response.status, error);
      } catch (cause) {
        connect.clear();
        if (overall.signal.aborted) {
          report(0, abortError(overall.signal));
          throw abortError(overall.signal);
        }
        if (cause === REDIRECT_REFUSED || isRedirectRefusal(cause))
          throw new UpstreamError({
            upstreamStatus: 0,
            message: redactSecrets(
              `Upstream answered ${url} with a redirect, which is not followed: set the base URL to the address it redirects to`,
              secrets,
            ),
          });
        error = AiProxyError.isInstance(connect.signal.reason)
          ? connect.signal.reason
          : new UpstreamError({
              upstreamStatus: 0,
              message: redactSecrets(`Upstream unreachable: ${describeCause(cause)}`, secrets),
            });
        report(0, error);
      }
      const retryable = isRetryable(error);
      if (!retryable || attempt >= maxRetries) throw error;
      const requested = UpstreamError.isInstance(error) ? error.retryAfter : undefined;
      // Waiting longer than we allow would only hold the client; hand the wait to it.
      if (requested !== undefined && requested * 1000 > maxDelayMs) throw error;
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt * (0.75 + Math.random() / 2));
      const delayMs = requested !== undefined ? requested * 1000 : backoff;
      options.onRetry?.({ attempt: attempt + 1, delayMs, error });
      try {
        await sleep(delayMs, overall.signal);
      } catch {
        throw abortError(overall.signal);
      }
    }
  } catch (error) {
    overall.clear();
    throw error;
  }
}

/** What the exchange sends: always a POST of a JSON body. */
export interface UpstreamRequestInit {
  method: string;
  headers?: Record<string, string>;
  body: string;
}

/** A 3xx with a location, seen without fetch (which refuses it itself under `redirect: "error"`). */
const REDIRECT_REFUSED = new Error("redirect refused");

/** fetch's error for a redirect under `redirect: "error"`. */
function isRedirectRefusal(cause: unknown): boolean {
  const inner = (cause as { cause?: unknown } | undefined)?.cause;
  return inner instanceof Error && /redirect/i.test(inner.message);
}

function isRetryable(error: AiProxyError): boolean {
  if (TimeoutError.isInstance(error)) return true;
  if (AbortedError.isInstance(error)) return false;
  return UpstreamError.isInstance(error) && isRetryableStatus(error.upstreamStatus);
}

/** An UpstreamError from a non-2xx response, with the provider's message when it sent one. */
export async function upstreamErrorFrom(
  response: HttpAnswer,
  secrets: string[] = [],
): Promise<UpstreamError> {
  const text = await leadingText(response, ERROR_BODY_MAX_BYTES).catch(() => "");
  let message = text.slice(0, 2000) || response.statusText || "no body";
  let upstreamCode: string | null = null;
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const err = parsed.error;
    if (typeof err === "string") message = err;
    else if (err && typeof err === "object") {
      const { message: m, code, type } = err as Record<string, unknown>;
      if (typeof m === "string") message = m;
      if (typeof code === "string") upstreamCode = code;
      else if (typeof type === "string") upstreamCode = type;
    } else if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // Not JSON: keep the raw text.
  }
  return new UpstreamError({
    upstreamStatus: response.status,
    upstreamCode,
    retryAfter: parseRetryAfter(response.headers),
    message: redactSecrets(`Upstream returned ${response.status}: ${message}`, secrets),
  });
}

/** More than any provider's error body; the message keeps only 2,000 characters of it. */
const ERROR_BODY_MAX_BYTES = 64 * 1024;

/** The first `maxBytes` of a body, then the connection closed: an error body may be endless. */
async function leadingText(response: HttpAnswer, maxBytes: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < maxBytes) {
      const { done, value } = await reader.read();
      if (done) return Buffer.concat(chunks).toString("utf8");
      chunks.push(value);
      total += value.byteLength;
    }
    await reader.cancel().catch(() => {});
    return Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8");
  } finally {
    reader.releaseLock();
  }
}

/** An error's message with its system code (ECONNREFUSED, ...), for error messages. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    const code =
      inner && typeof inner === "object" && "code" in inner ? ` (${String(inner.code)})` : "";
    return `${cause.message}${code}`;
  }
  return String(cause);
}
