import { readFileSync } from "node:fs";
import {
  type ReplayHandler as Handler,
  type ReplayServer,
  startReplayServer,
} from "@aiproxy/testkit";

export type {
  ReplayHandler as Handler,
  ReplayRequest as RecordedRequest,
  ReplayServer as TestUpstream,
} from "@aiproxy/testkit";
export { replayJson as json, replaySse as sse } from "@aiproxy/testkit";

/** The replay server, answering unscripted requests with Anthropic's error shape. */
export function startUpstream(): Promise<ReplayServer> {
  return startReplayServer({
    unscripted: (res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ type: "error", error: { type: "api_error", message: "unscripted" } }),
      );
    },
  });
}

const fixtureDir = new URL("../fixtures/", import.meta.url);

/**
 * A fixture as an SSE body: `.sse` as stored, `.chunks.txt` lines wrapped as
 * events. The API ends every event with a blank line; the stored files lost
 * the last one to editors, and SSE drops an unterminated event, so it is put back.
 */
export function sseFixture(name: string): string {
  const text = readFileSync(new URL(name, fixtureDir), "utf8");
  if (!name.endsWith(".chunks.txt")) return `${text.replace(/\n*$/, "")}\n\n`;
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`)
    .join("");
}

export function jsonFixture(name: string): string {
  return readFileSync(new URL(name, fixtureDir), "utf8");
}

/** An SSE event as Anthropic frames it. */
export function event(data: { type: string; [key: string]: unknown }): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Every event but the prompt's `usage` (it leads any stream that has output;
 * "reports the prompt's usage before the first output" checks it), so
 * sequence tests read as the content they are about.
 */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) if (!isPromptUsage(item)) out.push(item);
  return out;
}

export function isPromptUsage(item: unknown): boolean {
  return (item as { type?: unknown } | null)?.type === "usage";
}

/**
 * The opening events of a text stream and one text delta per word; then, unless
 * `end`, the stream stays open until the client goes away (an abort, a timeout).
 */
export function textStream(words: string[], { end = false } = {}): Handler {
  return (res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(
      event({
        type: "message_start",
        message: { id: "msg_slow", content: [], usage: { input_tokens: 1, output_tokens: 1 } },
      }) +
        event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    );
    for (const word of words) {
      res.write(
        event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: word } }),
      );
    }
    if (end) {
      res.end(
        event({ type: "content_block_stop", index: 0 }) +
          event({
            type: "message_delta",
            delta: { stop_reason: "end_turn" },
            usage: { output_tokens: 2 },
          }) +
          event({ type: "message_stop" }),
      );
    }
  };
}

/** Never answers. */
export const silent: Handler = () => {};

export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
