import { UpstreamError } from "@aiproxy/core";

/**
 * What is wrong with a Messages API message (a 2xx body, or the `message`
 * of `message_start`) before the translation code reads it, in words a user
 * can act on; undefined when nothing is. `content` may be left out only by
 * a body that says it is a message (documentation examples do).
 */
export function messageProblem(message: unknown, inStream: boolean): string | undefined {
  if (!isObject(message)) return `is not a message object (it is ${kindOf(message)})`;
  const { content } = message;
  if (content == null) {
    return inStream || message.type === "message" ? undefined : "is not a message: no content list";
  }
  if (!Array.isArray(content))
    return `has content that is not a list of blocks (${kindOf(content)})`;
  for (const [index, block] of content.entries()) {
    const problem = blockProblem(block);
    if (problem) return `has ${problem} at content[${index}]`;
  }
  if (message.usage != null && !isObject(message.usage)) return "has usage that is not an object";
  return undefined;
}

/** What is wrong with one content block, as `content_block_start` or inside a message. */
export function blockProblem(block: unknown): string | undefined {
  if (!isObject(block) || typeof block.type !== "string") return "a content block without a type";
  if (block.type === "tool_use" && (typeof block.id !== "string" || typeof block.name !== "string"))
    return "a tool_use block without a string id and name";
  return undefined;
}

export function assertMessage(message: unknown, status: number, what: string): void {
  const problem = messageProblem(message, what !== "Upstream response");
  if (problem) throw new UpstreamError({ upstreamStatus: status, message: `${what} ${problem}` });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
