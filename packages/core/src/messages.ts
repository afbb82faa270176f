/**
 * The canonical chat model is OpenAI's: every adapter translates to and from
 * it, so a gateway client's messages pass through untouched.
 */

export interface TextPart {
  type: "text";
  text: string;
}

export interface ImagePart {
  type: "image_url";
  image_url: { url: string; detail?: "auto" | "low" | "high" };
}

export type ContentPart = TextPart | ImagePart;

export interface SystemMessage {
  /** `developer` is OpenAI's newer name for a system message; adapters treat both alike. */
  role: "system" | "developer";
  content: string | TextPart[];
  name?: string;
  /**
   * Opaque data only one adapter reads: the client's own form of this
   * message (e.g. Anthropic blocks with `cache_control`), sent instead of
   * the canonical one by the adapter that understands it, ignored by others.
   */
  providerData?: Record<string, unknown>;
}

export interface UserMessage {
  role: "user";
  content: string | ContentPart[];
  name?: string;
  /** As on SystemMessage: the client's own form of the message, for one adapter. */
  providerData?: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface AssistantMessage {
  role: "assistant";
  content: string | null;
  tool_calls?: ToolCall[];
  name?: string;
  refusal?: string | null;
  /**
   * Opaque data only the producing adapter understands (e.g. Anthropic
   * thinking blocks with signatures). It must be sent back unchanged on the
   * next turn of a tool loop, and is never shown to a gateway client.
   */
  providerData?: Record<string, unknown>;
}

export interface ToolMessage {
  role: "tool";
  tool_call_id: string;
  /** Parts allow images from MCP tools to reach backends that accept them. */
  content: string | ContentPart[];
  /** Set when the tool failed, so adapters with a native flag (Anthropic `is_error`) can use it. */
  isError?: boolean;
  /** As on SystemMessage: the client's own form of the message, for one adapter. */
  providerData?: Record<string, unknown>;
}

export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** The text of a message's content, with non-text parts left out. */
export function contentText(content: string | ContentPart[] | null | undefined): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  let text = "";
  for (const part of content) if (part.type === "text") text += part.text;
  return text;
}
