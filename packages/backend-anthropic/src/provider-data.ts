import type { AnthropicContentBlock } from "./wire.js";

/**
 * What this adapter keeps in `AssistantMessage.providerData`: the turn's
 * content blocks as the API returned them, in order, so thinking blocks (and
 * their signatures) can be sent back unchanged on the next turn.
 */
export interface AnthropicProviderData {
  /** `stop_sequence`: which of the request's stop sequences ended the turn, for a renderer to report. */
  anthropic: { content: AnthropicContentBlock[]; stop_sequence?: string };
}

/** Blocks the canonical message can carry itself; any other makes the turn worth storing. */
const CANONICAL_TYPES = new Set(["text", "tool_use"]);

export function providerDataFor(
  blocks: AnthropicContentBlock[],
  stopSequence?: string,
): AnthropicProviderData | undefined {
  if (stopSequence !== undefined)
    return { anthropic: { content: blocks, stop_sequence: stopSequence } };
  if (blocks.every((block) => CANONICAL_TYPES.has(block.type))) return undefined;
  return { anthropic: { content: blocks } };
}

export function storedContent(
  providerData: Record<string, unknown> | undefined,
): AnthropicContentBlock[] | undefined {
  const anthropic = providerData?.anthropic;
  if (!anthropic || typeof anthropic !== "object") return undefined;
  const content = (anthropic as { content?: unknown }).content;
  if (!Array.isArray(content)) return undefined;
  return content.filter(
    (block): block is AnthropicContentBlock =>
      typeof block === "object" && block !== null && typeof block.type === "string",
  );
}
