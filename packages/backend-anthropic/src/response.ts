import {
  type AssistantMessage,
  type Completion,
  completionExtensions,
  type FinishReason,
  type ToolCall,
  type Usage,
} from "@aiproxy/core";
import { providerDataFor } from "./provider-data.js";
import type {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicTextBlock,
  AnthropicToolUseBlock,
  AnthropicUsage,
} from "./wire.js";

/** A non-streaming Messages API response as a canonical completion. */
export function fromAnthropicMessage(message: AnthropicMessage): Completion {
  const completion = assembleCompletion(message);
  const extensions = completionExtensions(message);
  if (extensions) completion.extensions = extensions;
  return completion;
}

/**
 * Shared by `generate()` and the end of a stream. `rawArguments` holds a
 * streamed tool call's arguments exactly as received, so the merged message
 * matches the deltas even when the JSON is cut off.
 */
export function assembleCompletion(
  message: AnthropicMessage,
  rawArguments?: ReadonlyMap<AnthropicContentBlock, string>,
): Completion {
  const blocks = message.content ?? [];
  let text = "";
  const toolCalls: ToolCall[] = [];
  for (const block of blocks) {
    if (block.type === "text") text += (block as AnthropicTextBlock).text ?? "";
    else if (block.type === "tool_use") {
      const use = block as AnthropicToolUseBlock;
      toolCalls.push({
        id: use.id,
        type: "function",
        function: {
          name: use.name,
          arguments: rawArguments?.get(block) ?? JSON.stringify(use.input ?? {}),
        },
      });
    }
  }
  const assistant: AssistantMessage = {
    role: "assistant",
    // OpenAI's convention: null content beside tool calls, "" for an empty answer.
    content: text || (toolCalls.length > 0 ? null : ""),
  };
  if (toolCalls.length > 0) assistant.tool_calls = toolCalls;
  const explanation = message.stop_details?.explanation;
  if (message.stop_reason === "refusal" && typeof explanation === "string") {
    assistant.refusal = explanation;
  }
  const providerData = providerDataFor(blocks, stopSequenceOf(message));
  if (providerData) assistant.providerData = { ...providerData };

  const completion: Completion = {
    message: assistant,
    finishReason: finishReasonOf(message.stop_reason),
    usage: usageOf(message.usage),
  };
  if (typeof message.id === "string") completion.id = message.id;
  return completion;
}

/** The stop sequence that ended the turn, when one did; the canonical finish reason is just "stop". */
function stopSequenceOf(message: AnthropicMessage): string | undefined {
  return message.stop_reason === "stop_sequence" && typeof message.stop_sequence === "string"
    ? message.stop_sequence
    : undefined;
}

export function finishReasonOf(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case "tool_use":
      return "tool_calls";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "refusal":
      return "content_filter";
    default:
      // end_turn, stop_sequence, pause_turn (a server tool loop paused: this
      // turn is complete as far as the client can tell) and anything newer.
      return "stop";
  }
}

/**
 * Anthropic counts cached prompt tokens apart from `input_tokens`; OpenAI's
 * prompt count includes them, so they are added back.
 */
export function usageOf(usage: AnthropicUsage | null | undefined): Usage {
  const input = count(usage?.input_tokens) ?? 0;
  const cacheRead = count(usage?.cache_read_input_tokens);
  const cacheCreation = count(usage?.cache_creation_input_tokens);
  const promptTokens = input + (cacheRead ?? 0) + (cacheCreation ?? 0);
  const completionTokens = count(usage?.output_tokens) ?? 0;
  const result: Usage = {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
  };
  if (typeof cacheRead === "number") result.cachedTokens = cacheRead;
  if (typeof cacheCreation === "number") result.cacheCreationTokens = cacheCreation;
  const thinking = count(usage?.output_tokens_details?.thinking_tokens);
  if (thinking !== undefined) result.reasoningTokens = thinking;
  return result;
}

/** A token count as a number; anything else a server sends there counts as absent. */
function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
