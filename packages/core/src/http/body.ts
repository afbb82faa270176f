import { AiProxyError, abortError, UpstreamError } from "../errors.js";
import { redactSecrets } from "../redact.js";
import type { HttpAnswer } from "./answer.js";
import { describeCause } from "./upstream.js";

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

/**
 * What an adapter's translation code threw on a 2xx body it did not expect
 * (a plain TypeError and the like): an UpstreamError that says so without
 * the JS internals, not worth retrying.
 */
export function unexpectedBody(error: unknown, status: number): AiProxyError {
  if (AiProxyError.isInstance(error)) return error;
  return new UpstreamError({
    upstreamStatus: status,
    message: "Upstream sent a response of a shape this adapter cannot read",
    cause: error,
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

/**
 * The whole body, given up (and the connection closed) as soon as `signal`
 * aborts or more than `maxBytes` arrive: bytes are counted as they are read,
 * so an endless body costs at most the limit.
 */
export async function readBody(
  response: HttpAnswer,
  signal: AbortSignal,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<string> {
  if (!response.body) return "";
  const tooLarge = () =>
    new UpstreamError({
      upstreamStatus: response.status,
      message: `Upstream response body is larger than max_response_bytes (${maxBytes} bytes)`,
    });
  // A body that says up front it is too large is not read at all.
  if (Number(response.headers.get("content-length")) > maxBytes) {
    await response.body.cancel().catch(() => {});
    throw tooLarge();
  }
  const reader = response.body.getReader();
  const onAbort = () => {
    reader.cancel().catch(() => {});
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      if (signal.aborted) throw abortError(signal);
      const { done, value } = await reader.read();
      if (signal.aborted) throw abortError(signal);
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw tooLarge();
      chunks.push(value);
    }
  } catch (error) {
    chunks.length = 0;
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Closes the connection of a body nobody read to the end; a no-op for one that was. */
export function discardBody(response: HttpAnswer): void {
  if (response.body && !response.body.locked) response.body.cancel().catch(() => {});
}
