import type { FinishReason, Usage } from "@aiproxy/core";
import type { ResponseObject, ResponseUsage } from "./types.js";

/** Canonical prompt tokens include the cached ones, as Responses' `input_tokens` do. */
export function toResponsesUsage(usage: Usage): ResponseUsage {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: {
      cached_tokens: usage.cachedTokens ?? 0,
      cache_write_tokens: usage.cacheCreationTokens ?? 0,
    },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.totalTokens,
  };
}

/** A run cut short by a limit or a filter is `incomplete`, with the reason; anything else `completed`. */
export function toResponseStatus(
  reason: FinishReason,
): Pick<ResponseObject, "status" | "incomplete_details"> {
  switch (reason) {
    case "length":
      return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
    case "content_filter":
      return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
    default:
      return { status: "completed", incomplete_details: null };
  }
}
