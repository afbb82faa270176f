import { randomBytes } from "node:crypto";
import {
  type AssistantMessage,
  type Completion,
  completionExtensions,
  type FinishReason,
  type ToolCall,
  type Usage,
} from "@aiproxy/core";
import type { OpenAIChatCompletion, OpenAIContent, OpenAIToolCall, OpenAIUsage } from "./wire.js";

/**
 * A non-streaming Chat Completions response as a canonical completion. Reads
 * the first choice; throws a plain Error when there is none (the backend
 * turns it into an UpstreamError).
 */
export function fromOpenAICompletion(body: OpenAIChatCompletion): Completion {
  const choice = body.choices?.find((c) => (c.index ?? 0) === 0) ?? body.choices?.[0];
  if (!choice) throw new Error("Upstream response has no choices");
  const message = choice.message ?? {};
  const toolCalls: ToolCall[] = (message.tool_calls ?? []).map((call) => ({
    id: nonEmpty(call.id) ?? newToolCallId(),
    type: "function",
    function: { name: call.function?.name ?? "", arguments: argumentsText(call.function) },
  }));
  if (toolCalls.length === 0 && message.function_call?.name) {
    toolCalls.push({
      id: newToolCallId(),
      type: "function",
      function: {
        name: message.function_call.name,
        arguments: argumentsText(message.function_call),
      },
    });
  }
  const parts = contentParts(message.content);
  const completion: Completion = {
    message: assistantMessage(parts.text, toolCalls, message.refusal),
    finishReason: finishReasonOf(choice.finish_reason, toolCalls.length > 0),
    usage: usageOf(body.usage),
  };
  const id = nonEmpty(body.id);
  if (id) completion.id = id;
  const reasoning =
    nonEmpty(message.reasoning_content) ?? nonEmpty(message.reasoning) ?? nonEmpty(parts.reasoning);
  if (reasoning) completion.reasoning = reasoning;
  const extensions = completionExtensions(body);
  if (extensions) completion.extensions = extensions;
  return completion;
}

/** Shared by `generate()` and the end of a stream. */
export function assistantMessage(
  text: string,
  toolCalls: ToolCall[],
  refusal: string | null | undefined,
): AssistantMessage {
  const message: AssistantMessage = {
    role: "assistant",
    // OpenAI's convention: null content beside tool calls, "" for an empty answer.
    content: text || (toolCalls.length > 0 ? null : ""),
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (typeof refusal === "string" && refusal) message.refusal = refusal;
  return message;
}

/**
 * `function_call` is the legacy name for `tool_calls`; anything unknown
 * (`eos`, `end_turn`, ...) ends a turn normally. A server that reports
 * `stop` beside tool calls (Ollama did) is asking for them to be run.
 */
export function finishReasonOf(
  reason: string | null | undefined,
  hasToolCalls = false,
): FinishReason {
  switch (reason) {
    case "length":
      return "length";
    case "content_filter":
      return "content_filter";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    default:
      return hasToolCalls ? "tool_calls" : "stop";
  }
}

/**
 * OpenAI's prompt count already includes cached tokens, so they are only
 * broken out. `total_tokens` is taken as reported: xAI, for one, counts
 * reasoning tokens there but not in `completion_tokens`.
 */
export function usageOf(usage: OpenAIUsage | null | undefined): Usage {
  const promptTokens = numberOr(usage?.prompt_tokens, 0);
  const completionTokens = numberOr(usage?.completion_tokens, 0);
  const result: Usage = {
    promptTokens,
    completionTokens,
    totalTokens: numberOr(usage?.total_tokens, promptTokens + completionTokens),
  };
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? usage?.prompt_cache_hit_tokens;
  if (typeof cached === "number") result.cachedTokens = cached;
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === "number") result.reasoningTokens = reasoning;
  return result;
}

/** Text and reasoning from `content`, a string or (Mistral) an array of text and thinking parts. */
export function contentParts(content: OpenAIContent | undefined): {
  text: string;
  reasoning: string;
} {
  if (typeof content === "string") return { text: content, reasoning: "" };
  let text = "";
  let reasoning = "";
  for (const part of content ?? []) {
    if (part.type === "text" && typeof part.text === "string") text += part.text;
    else if (part.type === "thinking") reasoning += thinkingText(part.thinking);
  }
  return { text, reasoning };
}

function thinkingText(thinking: unknown): string {
  if (typeof thinking === "string") return thinking;
  if (!Array.isArray(thinking)) return "";
  let text = "";
  for (const part of thinking) {
    if (part && typeof part === "object" && typeof part.text === "string") text += part.text;
  }
  return text;
}

/**
 * Arguments as a JSON string. Some servers send an object instead of its
 * encoding, and a call without arguments as `""` or nothing: that becomes
 * `"{}"`, which every tool runner can parse.
 */
export function argumentsText(fn: OpenAIToolCall["function"]): string {
  const args = fn?.arguments;
  if (typeof args === "string") return args || "{}";
  if (args && typeof args === "object") return JSON.stringify(args);
  return "{}";
}

/** A tool call id in OpenAI's style, for servers that send none (some vLLM and llama.cpp builds). */
export function newToolCallId(): string {
  return `call_${randomBytes(12).toString("base64url")}`;
}

export function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}
