import { AiProxyError, abortError, InternalError } from "@aiproxy/core";

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
