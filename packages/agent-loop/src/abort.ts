import { AiProxyError, abortError, InternalError } from "@aiproxy/core";

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts. A backend or
 * tool that ignores its signal must not hold the run open, so every await on
 * foreign code goes through here. A late rejection of `promise` is swallowed.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
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

/**
 * The error a run ends with. Once the signal fired, whatever the backend or a
 * tool threw is a consequence of the abort, so the abort reason wins. Foreign
 * errors may carry paths or secrets in their message, so they are wrapped.
 */
export function toRunError(error: unknown, signal: AbortSignal): AiProxyError {
  if (signal.aborted) return abortError(signal);
  if (AiProxyError.isInstance(error)) return error;
  return new InternalError({ message: "Internal error while running the agent", cause: error });
}
