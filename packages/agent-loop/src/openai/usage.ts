import type { Usage } from "@aiproxy/core";
import type { OpenAIUsage } from "./types.js";

export function toOpenAIUsage(usage: Usage): OpenAIUsage {
  const out: OpenAIUsage = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
  if (usage.cachedTokens !== undefined) {
    out.prompt_tokens_details = { cached_tokens: usage.cachedTokens };
  }
  if (usage.reasoningTokens !== undefined) {
    out.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  }
  return out;
}
