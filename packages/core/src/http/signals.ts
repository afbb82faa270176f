import { TimeoutError } from "../errors.js";

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

/**
 * A child signal with its own timeout. Unlike `AbortSignal.timeout`, the
 * timer is cleared as soon as the work is done, so nothing keeps the event
 * loop alive and the reason says what timed out.
 */
export function deadline(
  ms: number | undefined,
  parent: AbortSignal | undefined,
  what: string,
): Deadline {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  const timer =
    ms !== undefined && ms > 0 && Number.isFinite(ms)
      ? setTimeout(() => controller.abort(new TimeoutError(`${what} timed out after ${ms} ms`)), ms)
      : undefined;
  return {
    signal: controller.signal,
    clear() {
      if (timer) clearTimeout(timer);
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
}
