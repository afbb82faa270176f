import type { OpenAIChatCompletionChunk } from "./wire.js";

/** A streamed chunk of plain text, read from its JSON text without parsing it. */
export interface PlainChunk {
  /** What the chunk means to the accumulator: the parsed chunk's id, choice and delta. */
  chunk: OpenAIChatCompletionChunk;
  /** Where the top-level `model` value (quotes included) stands in the text. */
  modelStart: number;
  modelEnd: number;
}

/** A string without escapes or control characters. */
const STR = String.raw`"[^"\\\x00-\x1f]*"`;
/** Any JSON string. */
const TEXT = String.raw`"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"`;
/** A top-level member read by nobody (created, system_fingerprint, obfuscation): a scalar. */
const OTHER = `,"(?!(?:id|object|model|choices|usage|error)")[a-z_]+":(?:${STR}|null|true|false|-?(?:0|[1-9][0-9]*))`;
/**
 * OpenAI's own chunk of text, in its member order, compact: one choice
 * (index 0) whose delta holds at most the assistant role, the content and a
 * null refusal; no tool calls, usage, logprobs or error, no nested value
 * elsewhere (a repeated `"usage":null` means what one does). Anything else
 * does not match and is parsed. Every alternative is disjoint from the
 * next, so a match takes one pass.
 */
const PLAIN = new RegExp(
  String.raw`^(\{"id":(${STR}),"object":"chat\.completion\.chunk"(?:${OTHER})*,"model":)(${STR})(?:${OTHER})*,"choices":\[\{"index":0,"delta":\{(?:(?:"role":"assistant",)?"content":(${TEXT}|null)(?:,"refusal":null)?)?\},"logprobs":null,"finish_reason":(null|"(?!tool_calls"|function_call")[a-z_]+")\}\](?:${OTHER}|,"usage":null)*\}$`,
);

/**
 * The chunk when `text` is a plain one (see `PLAIN`), else undefined, and
 * the caller parses it as usual. Most chunks of a streamed answer are
 * plain, and one match costs a fraction of a parse (2.5 to 3.5 times less
 * on this machine's 270-byte chunks), with no object built that nobody reads.
 */
export function readPlainChunk(text: string): PlainChunk | undefined {
  const match = PLAIN.exec(text);
  if (!match) return undefined;
  const [, prefix, id, model, content, reason] = match as unknown as string[];
  const modelStart = (prefix as string).length;
  const delta: { content?: string | null } = {};
  if (content !== undefined) delta.content = content === "null" ? null : decode(content);
  return {
    chunk: {
      id: (id as string).slice(1, -1),
      choices: [
        {
          index: 0,
          delta,
          finish_reason: reason === "null" ? null : (reason as string).slice(1, -1),
        },
      ],
    },
    modelStart,
    modelEnd: modelStart + (model as string).length,
  };
}

/** A JSON string's value; PLAIN already checked it is a valid one. */
function decode(json: string): string {
  return json.includes("\\") ? (JSON.parse(json) as string) : json.slice(1, -1);
}
