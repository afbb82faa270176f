import { abortError, TimeoutError } from "../errors.js";

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface Deadline {
  /** Aborts when the parent aborts or the time runs out (with a TimeoutError reason). */
  readonly signal: AbortSignal;
  /** Stops the timer and detaches from the parent. Idempotent. */
  clear(): void;
}

/** A deadline of one's own: its timer can stop early, and its owner can abort it. */
export interface OwnDeadline extends Deadline {
  /** Stops the timer only: the signal still follows the parent. */
  stopTimer(): void;
  abort(reason?: unknown): void;
}

/**
 * A child signal with its own timeout. Unlike `AbortSignal.timeout`, the
 * timer is cleared as soon as the work is done, so nothing keeps the event
 * loop alive and the reason says what timed out.
 */
export function deadline(
  ms: number | undefined,
  parent: AbortSignal | undefined,
  what: string,
): OwnDeadline {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  let timer =
    ms !== undefined && ms > 0 && Number.isFinite(ms)
      ? setTimeout(() => controller.abort(new TimeoutError(`${what} timed out after ${ms} ms`)), ms)
      : undefined;
  const stopTimer = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal: controller.signal,
    stopTimer,
    abort: (reason?: unknown) => controller.abort(reason),
    clear() {
      stopTimer();
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
}

export interface LinkedSignal {
  /** Aborts with the reason of whichever source aborts first. */
  readonly signal: AbortSignal;
  /** Detaches from every source. Idempotent. */
  unlink(): void;
}

/**
 * A signal that follows every source given (undefined ones are skipped).
 * Not `AbortSignal.any`: its result stays registered on each source until
 * the source is collected, so a long-lived signal (a server's, a session's)
 * linked into every request grows without bound; here `unlink` detaches as
 * soon as the work is done.
 */
export function linkSignals(...sources: Array<AbortSignal | undefined>): LinkedSignal {
  const controller = new AbortController();
  const live = sources.filter((source): source is AbortSignal => source !== undefined);
  const onAbort = (event: Event) => {
    controller.abort((event.target as AbortSignal).reason);
    unlink();
  };
  const unlink = () => {
    for (const source of live) source.removeEventListener("abort", onAbort);
  };
  const already = live.find((source) => source.aborted);
  if (already) controller.abort(already.reason);
  else for (const source of live) source.addEventListener("abort", onAbort, { once: true });
  return { signal: controller.signal, unlink };
}

/**
 * Settles like `promise`, or rejects with the signal's abort error as soon as
 * it fires. Code that ignores its signal (a backend, a tool, an SDK) must not
 * hold the caller open, so every await on foreign code goes through here. A
 * late rejection of `promise` is swallowed. Without a signal, `promise` itself.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(abortError(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
