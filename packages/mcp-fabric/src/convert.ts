import type { ContentPart, ToolResult } from "@aiproxy/core";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { clipBalanced } from "./balanced-clip.js";

type Block = CallToolResult["content"][number];

/** Collects text and image parts, stopping at a character budget. */
class ResultBuilder {
  private readonly parts: ContentPart[] = [];
  private used = 0;
  private dropped = 0;

  constructor(private readonly maxChars: number) {}

  text(text: string): void {
    if (text === "") return;
    const room = this.maxChars - this.used;
    if (room <= 0) {
      this.dropped += text.length;
      return;
    }
    const kept = text.length > room ? text.slice(0, room) : text;
    this.dropped += text.length - kept.length;
    this.used += kept.length;
    const last = this.parts.at(-1);
    if (last?.type === "text") last.text += `\n${kept}`;
    else this.parts.push({ type: "text", text: kept });
  }

  /** `counted`: whether the image's data URL counts against the cap (it is large text on the wire). */
  image(url: string, counted = true): void {
    if (!counted) {
      this.parts.push({ type: "image_url", image_url: { url } });
      return;
    }
    if (this.used + url.length > this.maxChars) {
      this.dropped += url.length;
      return;
    }
    this.used += url.length;
    this.parts.push({ type: "image_url", image_url: { url } });
  }

  build(isError: boolean): ToolResult {
    if (this.dropped > 0) {
      const note = `[truncated: ${this.dropped} more characters]`;
      const last = this.parts.at(-1);
      if (last?.type === "text") last.text += `\n${note}`;
      else this.parts.push({ type: "text", text: note });
    }
    const images = this.parts.some((part) => part.type === "image_url");
    if (images) return { content: this.parts, isError };
    return { content: this.parts.map((part) => (part as { text: string }).text).join(""), isError };
  }
}

/** Leaf values of a JSON value, up to `limit` of them; undefined when there are more. */
function leaves(value: unknown, limit: number, out: string[] = []): string[] | undefined {
  if (value === null || value === undefined) return out;
  if (typeof value !== "object") {
    out.push(String(value));
    return out.length > limit ? undefined : out;
  }
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (!leaves(item, limit, out)) return undefined;
  }
  return out;
}

/**
 * Whether the text blocks already carry `structured`: servers are told to
 * send its JSON as text too, and some send a plain rendering of it instead
 * (server-filesystem's `{ content }` next to the file's text). Then adding the
 * JSON again would only double the tokens.
 */
function carried(texts: string[], structured: unknown): boolean {
  const json = JSON.stringify(structured);
  for (const text of texts) {
    try {
      if (JSON.stringify(JSON.parse(text)) === json) return true;
    } catch {
      // Not JSON; fall through to the leaf check.
    }
  }
  const values = leaves(structured, 100);
  if (!values || values.length === 0) return false;
  const all = texts.join("\n");
  return values.every((value) => all.includes(value));
}

/**
 * An MCP tool result as a tool message body: text blocks joined by newlines,
 * images as image parts (data URLs), anything else (embedded resources,
 * resource links, audio) as its JSON, and `structuredContent` as JSON unless
 * the text already carries it.
 */
export function toToolResult(result: CallToolResult, maxChars: number): ToolResult {
  const out = new ResultBuilder(maxChars);
  const content: Block[] = Array.isArray(result.content) ? result.content : [];
  for (const block of content) {
    switch (block.type) {
      case "text":
        out.text(block.text);
        break;
      case "image":
        out.image(`data:${block.mimeType};base64,${block.data}`);
        break;
      default:
        out.text(JSON.stringify(block));
    }
  }
  const structured = result.structuredContent;
  if (structured !== undefined) {
    const texts = content.flatMap((block) => (block.type === "text" ? [block.text] : []));
    if (!carried(texts, structured)) out.text(JSON.stringify(structured));
  }
  const isError = result.isError === true;
  const built = out.build(isError);
  if (isError && built.content === "") return { content: "The tool reported an error.", isError };
  return built;
}

/** A result for the model when a call could not complete. */
export function errorResult(message: string): ToolResult {
  return { content: message, isError: true };
}

/**
 * Clips the text of a result to `maxChars`; images are kept (the model's
 * context counts them differently). `head` keeps the start and cuts the
 * tail; `balanced` keeps the beginning of every section and item.
 */
export function clipResult(
  result: ToolResult,
  maxChars: number,
  mode: "head" | "balanced" = "head",
): ToolResult {
  if (mode === "balanced") return clipBalancedResult(result, maxChars);
  const out = new ResultBuilder(maxChars);
  if (typeof result.content === "string") out.text(result.content);
  else {
    for (const part of result.content) {
      if (part.type === "text") out.text(part.text);
      else out.image(part.image_url.url, false);
    }
  }
  return out.build(result.isError);
}

function clipBalancedResult(result: ToolResult, maxChars: number): ToolResult {
  if (typeof result.content === "string")
    return { content: clipBalanced(result.content, maxChars), isError: result.isError };
  const texts = result.content.flatMap((part) => (part.type === "text" ? [part.text] : []));
  const images = result.content.filter((part) => part.type !== "text");
  const text = clipBalanced(texts.join("\n"), maxChars);
  const content: ContentPart[] = [...(text ? [{ type: "text" as const, text }] : []), ...images];
  return { content, isError: result.isError };
}
