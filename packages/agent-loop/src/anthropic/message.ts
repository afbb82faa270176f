import { InternalError } from "@aiproxy/core";
import type { AgentRun } from "../types.js";
import { type AnthropicMessageOptions, MessageEventProducer } from "./events.js";
import type { AnthropicContentBlock, AnthropicMessage } from "./types.js";

/**
 * A run as one Messages API response, built from the same events a stream
 * would send, so both agree block for block. Rejects with the run's error.
 */
export async function toAnthropicMessage(
  run: AgentRun,
  options: AnthropicMessageOptions,
): Promise<AnthropicMessage> {
  const producer = new MessageEventProducer(run, options);
  for (;;) {
    const next = await producer.next();
    if (next.done) break;
    if ("error" in next.value) throw next.value.error;
  }
  if (!producer.completed) throw new InternalError({ message: "The agent run produced no output" });
  withStoredThinking(producer);
  return producer.message;
}

/**
 * An Anthropic backend keeps the last step's blocks as the API sent them
 * (its `providerData`), and only there do thinking blocks carry their
 * signatures and redacted thinking its data: both must reach the client, or
 * it cannot send the turn back inside a tool loop.
 */
function withStoredThinking(producer: MessageEventProducer): void {
  const result = producer.result;
  const stored = storedThinking(result?.message.providerData);
  if (!result || stored.length === 0) return;
  const finalStep = result.steps.at(-1)?.step;
  const content = producer.message.content;
  const finalBlocks = content.map((_, i) => i).filter((i) => producer.stepOf(i) === finalStep);
  const streamed = finalBlocks.filter((i) => content[i]?.type === "thinking");
  const signatures = stored.filter((b) => b.type === "thinking");
  const redacted = stored.filter((b) => b.type === "redacted_thinking");
  if (streamed.length === 0) {
    // Nothing was streamed (a non-streaming backend call): the stored blocks lead the turn.
    content.splice(finalBlocks[0] ?? content.length, 0, ...stored);
    return;
  }
  streamed.forEach((index, n) => {
    const block = content[index];
    const signature = signatures[n]?.type === "thinking" ? signatures[n].signature : undefined;
    if (block?.type === "thinking" && signature) block.signature = signature;
  });
  if (redacted.length > 0) content.splice(streamed[0] ?? 0, 0, ...redacted);
}

function storedThinking(
  providerData: Record<string, unknown> | undefined,
): AnthropicContentBlock[] {
  const anthropic = providerData?.anthropic as { content?: unknown } | undefined;
  if (!Array.isArray(anthropic?.content)) return [];
  const out: AnthropicContentBlock[] = [];
  for (const block of anthropic.content as Array<Record<string, unknown>>) {
    if (block?.type === "thinking" && typeof block.thinking === "string")
      out.push({
        type: "thinking",
        thinking: block.thinking,
        signature: String(block.signature ?? ""),
      });
    else if (block?.type === "redacted_thinking" && typeof block.data === "string")
      out.push({ type: "redacted_thinking", data: block.data });
  }
  return out;
}
