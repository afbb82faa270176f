import type { FinishReason } from "@aiproxy/core";

/** Token counts under OpenAI's names; the details appear when the provider reported them. */
export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

export interface ChatCompletionMessageToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** OpenAI's `chat.completion` object. */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: {
      role: "assistant";
      content: string | null;
      refusal: string | null;
      tool_calls?: ChatCompletionMessageToolCall[];
    };
    logprobs: null;
    finish_reason: FinishReason;
  }>;
  usage: OpenAIUsage;
  /** A two-model or deferred run's decisions (see the agent-loop README). */
  x_aiproxy?: Record<string, unknown>;
}

export interface ChatCompletionChunkToolCall {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

/**
 * Tool activity (`toolActivity: true`): what a chat UI needs to show
 * "calling fetch__fetch…" and its outcome. Only text of a result is carried.
 */
export type ToolActivity =
  | {
      type: "tool_call";
      step: number;
      call_id: string;
      name: string;
      server?: string;
      tool?: string;
      arguments: string;
    }
  | {
      type: "tool_result";
      step: number;
      call_id: string;
      name: string;
      server?: string;
      tool?: string;
      is_error: boolean;
      duration_ms: number;
      content: string;
    };

/** OpenAI's `chat.completion.chunk`, plus the `aiproxy` field of tool-activity chunks. */
export interface ChatCompletionChunk {
  /** Absent only on tool-activity chunks (see the README for why). */
  id?: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: "assistant";
      content?: string | null;
      refusal?: string | null;
      tool_calls?: ChatCompletionChunkToolCall[];
    };
    logprobs: null;
    finish_reason: FinishReason | null;
  }>;
  /** `null` on every chunk but the last when usage was asked for, as OpenAI does. */
  usage?: OpenAIUsage | null;
  aiproxy?: ToolActivity;
  /** On the finish chunk of a two-model or deferred run: its decisions. */
  x_aiproxy?: Record<string, unknown>;
}
