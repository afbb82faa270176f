import type { ChatMessage, ToolDefinition } from "@aiproxy/core";
import type { AnthropicContentBlock, AnthropicTextBlock, AnthropicTool } from "./wire.js";

/**
 * The client's own Anthropic form of a canonical message, kept in its
 * `providerData.anthropic` by a surface that speaks Anthropic's wire (the
 * gateway's `/v1/messages`), so this adapter sends what the client sent:
 * `cache_control`, documents, citations, block types newer than this code.
 *
 * - system message: `content` is the top-level `system` blocks; with
 *   `inline: true` it is a `role: "system"` turn inside `messages`, sent
 *   there in its place.
 * - user message: `content` is the turn's blocks other than tool results.
 * - tool message: `content` is its one `tool_result` block.
 * - assistant message: `content` is the turn's blocks (also what this
 *   adapter stores from a response, for thinking signatures).
 */
export interface AnthropicNativeMessage {
  content: AnthropicContentBlock[];
  inline?: boolean;
}

/** A tool's own form: `providerData.anthropic.tool`, sent as it is. */
export interface AnthropicNativeTool {
  tool: AnthropicTool;
}

export function nativeMessage(message: ChatMessage): AnthropicNativeMessage | undefined {
  const anthropic = message.providerData?.anthropic;
  if (!anthropic || typeof anthropic !== "object") return undefined;
  const { content, inline } = anthropic as { content?: unknown; inline?: unknown };
  if (!Array.isArray(content) || !content.every(isBlock)) return undefined;
  return { content: content as AnthropicContentBlock[], inline: inline === true };
}

export function nativeSystem(message: ChatMessage): AnthropicTextBlock[] | undefined {
  const native = nativeMessage(message);
  if (!native || native.inline) return undefined;
  return native.content as AnthropicTextBlock[];
}

export function nativeTool(tool: ToolDefinition): AnthropicTool | undefined {
  const anthropic = tool.providerData?.anthropic as { tool?: unknown } | undefined;
  const native = anthropic?.tool;
  if (
    !native ||
    typeof native !== "object" ||
    typeof (native as { name?: unknown }).name !== "string"
  )
    return undefined;
  return native as AnthropicTool;
}

function isBlock(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { type?: unknown }).type === "string"
  );
}
