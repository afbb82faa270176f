import { type Completion, parseJsonObject, type SseMessage, UpstreamError } from "@aiproxy/core";
import type { ChunkAccumulator } from "./accumulator.js";
import { streamError } from "./errors.js";
import { fromOpenAICompletion } from "./response.js";
import { assertChoices } from "./shape.js";
import type { OpenAIChatCompletion, OpenAIChatCompletionChunk } from "./wire.js";

export const DONE = Symbol("[DONE]");

/** One SSE event as a chunk, or DONE for `[DONE]`; an error event throws. */
export function readChunk(
  message: SseMessage,
  status: number,
  secrets: string[],
): OpenAIChatCompletionChunk | typeof DONE {
  if (message.data.trim() === "[DONE]") return DONE;
  const chunk = parseJsonObject(message.data, status) as OpenAIChatCompletionChunk;
  // vLLM and some proxies report errors as `event: error` or a top-level error object.
  if (message.event === "error" || chunk.object === "error") {
    throw streamError(chunk.error ?? chunk, secrets);
  }
  if (chunk.error == null) assertChoices(chunk.choices, "delta", status);
  return chunk;
}

/**
 * `[DONE]` is optional for some servers; a stream that ended cleanly after
 * its finish_reason is complete, one that ended before it was cut off.
 */
export function assertComplete(done: boolean, accumulator: ChunkAccumulator): void {
  if (done || accumulator.sawFinishReason) return;
  throw new UpstreamError({
    upstreamStatus: 0,
    message: "Upstream stream ended before a finish_reason",
  });
}

/** A parsed 2xx body as a completion; an `{"error": ...}` body or one without choices fails. */
export function completionFrom(
  body: Record<string, unknown>,
  status: number,
  secrets: string[],
): Completion {
  if (body.error != null || body.object === "error") throw streamError(body.error ?? body, secrets);
  // A well-formed answer that says nothing usable will not improve on a retry.
  assertChoices(body.choices, "message", status);
  return fromOpenAICompletion(body as OpenAIChatCompletion);
}
