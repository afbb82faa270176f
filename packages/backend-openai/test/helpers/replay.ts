import { readFileSync } from "node:fs";

export {
  type ReplayHandler as Handler,
  type ReplayRequest as RecordedRequest,
  type ReplayServer,
  replayJson as json,
  replaySse as sse,
  startReplayServer,
} from "@aiproxy/testkit";

const fixtureDir = new URL("../fixtures/", import.meta.url);

export function readFixture(name: string): string {
  return readFileSync(new URL(name, fixtureDir), "utf8");
}

/**
 * A fixture as an SSE body. `.sse` files are served as stored, plus the
 * blank line that ends the last event on the wire (stored copies lose it to
 * editors, and SSE drops an unterminated event). `.chunks.txt`
 * (vercel/ai's format: one chunk's JSON per line, `data: [DONE]` left out)
 * and single-chunk `.json` files are framed as `data:` events, with the
 * `[DONE]` the API ends every stream with unless `done` is false.
 */
export function sseFixture(name: string, { done = true } = {}): string {
  const text = readFixture(name);
  if (name.endsWith(".sse")) return `${text.replace(/\n*$/, "")}\n\n`;
  const lines = name.endsWith(".json")
    ? [JSON.stringify(JSON.parse(text))]
    : text.split("\n").filter((line) => line.trim() !== "");
  return lines.map((line) => `data: ${line}\n\n`).join("") + (done ? "data: [DONE]\n\n" : "");
}

/** The parsed chunks of a fixture, for feeding the accumulator directly. */
export function chunksOf(name: string): unknown[] {
  return sseFixture(name, { done: false })
    .split("\n\n")
    .map((event) => event.replace(/^data: /, "").trim())
    .filter((data) => data !== "" && data !== "[DONE]")
    .map((data) => JSON.parse(data) as unknown);
}

/** One `data:` event. */
export function data(payload: object | string): string {
  return `data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
