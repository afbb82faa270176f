/**
 * The subset of Anthropic's Messages API wire format this adapter reads and
 * writes (https://docs.anthropic.com/en/api/messages). Blocks it does not
 * understand are typed loosely so they can be carried and sent back as-is.
 */

export interface AnthropicTextBlock {
  type: "text";
  text: string;
  [key: string]: unknown;
}

export interface AnthropicImageBlock {
  type: "image";
  source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };
}

export interface AnthropicToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: unknown;
  [key: string]: unknown;
}

export interface AnthropicToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content?: string | Array<AnthropicTextBlock | AnthropicImageBlock>;
  is_error?: boolean;
}

export interface AnthropicThinkingBlock {
  type: "thinking";
  thinking: string;
  signature: string;
}

export interface AnthropicRedactedThinkingBlock {
  type: "redacted_thinking";
  data: string;
}

/** Server tool calls and results, citations-bearing blocks, and whatever comes next. */
export interface AnthropicOtherBlock {
  type: string;
  [key: string]: unknown;
}

export type AnthropicContentBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock
  | AnthropicOtherBlock;

export interface AnthropicMessageParam {
  /** `system` only where the client put a system turn inside `messages` itself (Claude Code does). */
  role: "user" | "assistant" | "system";
  content: AnthropicContentBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema?: { type: "object"; [key: string]: unknown };
  /** `cache_control`, `defer_loading`, a server tool's `type`, and whatever comes next. */
  [key: string]: unknown;
}

export type AnthropicToolChoice =
  | { type: "auto"; disable_parallel_tool_use?: boolean }
  | { type: "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

export interface AnthropicMessagesRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: string | AnthropicTextBlock[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  metadata?: { user_id: string };
  stream?: boolean;
  /** `extraBody` lands here, e.g. `thinking: { type: "enabled", budget_tokens: 2048 }`. */
  [key: string]: unknown;
}

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
  [key: string]: unknown;
}

/** A response of `POST /v1/messages`; fields are optional because documentation examples omit some. */
export interface AnthropicMessage {
  id?: string;
  type?: "message";
  role?: "assistant";
  model?: string;
  content?: AnthropicContentBlock[];
  stop_reason?: string | null;
  stop_sequence?: string | null;
  stop_details?: { type?: string; explanation?: string | null; [key: string]: unknown } | null;
  usage?: AnthropicUsage | null;
  [key: string]: unknown;
}
