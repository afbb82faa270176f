/**
 * The subset of OpenAI's Chat Completions wire format this adapter reads and
 * writes (https://platform.openai.com/docs/api-reference/chat). Response
 * types are loose on purpose: OpenAI-compatible servers (vLLM, Ollama,
 * DeepSeek, Groq, Azure, LiteLLM, ...) omit, null out or add fields, and the
 * parser must survive all of them.
 */

import type {
  AssistantMessage,
  GenerationParams,
  SystemMessage,
  ToolDefinition,
  UserMessage,
} from "@aiproxy/core";

export interface OpenAIToolMessageParam {
  role: "tool";
  tool_call_id: string;
  content: string;
}

export type OpenAIMessageParam =
  | SystemMessage
  | UserMessage
  | Omit<AssistantMessage, "providerData">
  | OpenAIToolMessageParam;

/** The request body: core's GenerationParams are OpenAI's own fields, so they are used as they are. */
export interface OpenAIChatRequest extends GenerationParams {
  model: string;
  messages: OpenAIMessageParam[];
  tools?: ToolDefinition[];
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  /** `extraBody` lands here. */
  [key: string]: unknown;
}

export interface OpenAIUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null; [key: string]: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null; [key: string]: unknown } | null;
  /** DeepSeek's name for cached prompt tokens, from before it adopted `prompt_tokens_details`. */
  prompt_cache_hit_tokens?: number | null;
  [key: string]: unknown;
}

/**
 * Mistral's reasoning models answer with content parts instead of a string:
 * `{ type: "text", text }` and `{ type: "thinking", thinking: [{ type: "text", text }] }`.
 */
export type OpenAIContent = string | Array<{ type?: string; [key: string]: unknown }> | null;

export interface OpenAIToolCall {
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: unknown } | null;
  [key: string]: unknown;
}

interface MessageFields {
  role?: string;
  content?: OpenAIContent;
  /** DeepSeek, vLLM before 0.10, xAI, Groq (`reasoning_format: "parsed"`): the model's reasoning. */
  reasoning_content?: string | null;
  /** vLLM 0.10+, OpenRouter, Ollama: the same under a shorter name. */
  reasoning?: string | null;
  /** The legacy single call (`functions` API); some compatible servers still send it. */
  function_call?: { name?: string | null; arguments?: unknown } | null;
  refusal?: string | null;
  [key: string]: unknown;
}

export interface OpenAIResponseMessage extends MessageFields {
  tool_calls?: OpenAIToolCall[] | null;
}

export interface OpenAIChatCompletion {
  id?: string;
  object?: string;
  model?: string;
  choices?: Array<{
    index?: number;
    message?: OpenAIResponseMessage | null;
    finish_reason?: string | null;
    [key: string]: unknown;
  }> | null;
  usage?: OpenAIUsage | null;
  [key: string]: unknown;
}

export interface OpenAIToolCallDelta extends OpenAIToolCall {
  index?: number | null;
}

export interface OpenAIChunkDelta extends MessageFields {
  tool_calls?: OpenAIToolCallDelta[] | null;
}

export interface OpenAIChatCompletionChunk {
  id?: string;
  object?: string;
  model?: string;
  choices?: Array<{
    index?: number;
    /** Absent on Azure's trailing content-filter chunks. */
    delta?: OpenAIChunkDelta | null;
    finish_reason?: string | null;
    [key: string]: unknown;
  }> | null;
  usage?: OpenAIUsage | null;
  /** An error reported after the 200 status line was sent. */
  error?: unknown;
  [key: string]: unknown;
}
