import type { FinishReason, Usage } from "@aiproxy/core";
import type { AnthropicStopReason, AnthropicUsage } from "./types.js";

/** Canonical prompt tokens include the cached ones; Anthropic's `input_tokens` do not. */
export function toAnthropicUsage(usage: Usage): AnthropicUsage {
  const cacheRead = usage.cachedTokens ?? 0;
  const cacheCreation = usage.cacheCreationTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.promptTokens - cacheRead - cacheCreation),
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
  };
}

/**
 * Canonical finish reasons carry no stop sequence, so a stop is `end_turn`,
 * unless the caller knows it was a stop sequence.
 */
export function toStopReason(reason: FinishReason): AnthropicStopReason {
  switch (reason) {
    case "length":
      return "max_tokens";
    case "tool_calls":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}
