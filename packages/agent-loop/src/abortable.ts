import { abortError } from "@aiproxy/core";

/**
 * `untilAborted` around each `next()` of a stream, with one abort listener
 * for the whole stream instead of a promise, a listener and its removal per
 * event: a backend that ignores its signal still cannot hold the step open.
 */
export function abortable<T>(
  iterator: AsyncIterator<T>,
  signal: AbortSignal,
): { next(): Promise<IteratorResult<T>>; close(): void } {
  let pending: ((error: unknown) => void) | undefined;
  const onAbort = () => {
    const reject = pending;
    pending = undefined;
    reject?.(abortError(signal));
  };
  signal.addEventListener("abort", onAbort, { once: true });
  return {
    next() {
      if (signal.aborted) return Promise.reject(abortError(signal));
      return new Promise((resolve, reject) => {
        pending = reject;
        // Both outcomes are handled, so a late failure after an abort is swallowed.
        iterator.next().then(
          (result) => {
            pending = undefined;
            resolve(result);
          },
          (error: unknown) => {
            pending = undefined;
            reject(error);
          },
        );
      });
    },
    close() {
      pending = undefined;
      signal.removeEventListener("abort", onAbort);
    },
  };
}
