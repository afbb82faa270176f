import { strategyJson } from "../strategy-json.js";
import type { AgentResult } from "../types.js";
import { completionId, nowSeconds } from "./ids.js";
import type { ChatCompletion } from "./types.js";
import { toOpenAIUsage } from "./usage.js";

export interface ChatCompletionOptions {
  /** The assistant name the client asked for, not the provider's model id. */
  model: string;
  id?: string;
  /** Unix seconds. */
  created?: number;
}

/**
 * A finished run as OpenAI's `chat.completion`. The content is the last
 * step's text; `providerData` stays on the server.
 */
export function toChatCompletion(
  result: AgentResult,
  options: ChatCompletionOptions,
): ChatCompletion {
  const { message } = result;
  const toolCalls =
    result.finishReason === "tool_calls"
      ? message.tool_calls?.map((call) => ({
          id: call.id,
          type: "function" as const,
          function: { name: call.function.name, arguments: call.function.arguments },
        }))
      : undefined;
  return {
    id: options.id ?? completionId(),
    object: "chat.completion",
    created: options.created ?? nowSeconds(),
    model: options.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: message.content ?? null,
          refusal: message.refusal ?? null,
          ...(toolCalls && toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: result.finishReason,
      },
    ],
    usage: toOpenAIUsage(result.usage),
    ...(result.strategy && { x_aiproxy: strategyJson(result.strategy) }),
  };
}
