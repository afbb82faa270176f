import type { SseMessage, UpstreamBody } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { relayStream } from "../src/relay-stream.js";

const chunk = (content: string, finish = "null") =>
  `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"logprobs":null,"finish_reason":${finish}}]}`;

/** A body of these events whose reader records how it was left. */
function bodyOf(messages: SseMessage[]) {
  const state = { read: 0, closed: false };
  const body: UpstreamBody = {
    status: 200,
    headers: { get: (name) => (name === "content-type" ? "text/event-stream" : null) },
    json: () => Promise.reject(new Error("not a whole body")),
    events: () =>
      (async function* () {
        try {
          for (const message of messages) {
            state.read++;
            yield message;
          }
        } finally {
          state.closed = true;
        }
      })(),
  };
  return { body, state };
}

const event = (data: string, type?: string): SseMessage =>
  ({ data, event: type, id: undefined }) as SseMessage;

async function drain(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("relayStream", () => {
  it("stops reading at [DONE], closes the reader and ends with the finish item", async () => {
    const { body, state } = bodyOf([
      event(chunk("a")),
      event(chunk("b", '"stop"')),
      event("[DONE]"),
      event(chunk("after the end")),
    ]);
    const items = (await drain(relayStream(body, []))) as { events: { type: string }[] }[];
    expect(items.map((item) => item.events.map((e) => e.type))).toEqual([
      ["text-delta"],
      ["text-delta"],
      ["finish"],
    ]);
    expect(state).toEqual({ read: 3, closed: true });
  });

  it("fails a stream cut off before its finish_reason", async () => {
    const { body } = bodyOf([event(chunk("a"))]);
    await expect(drain(relayStream(body, []))).rejects.toMatchObject({
      message: expect.stringContaining("before a finish_reason"),
    });
  });

  it("closes the reader when a chunk fails: an error event, malformed JSON", async () => {
    for (const bad of [
      event('{"error":{"message":"overloaded now"}}', "error"),
      event('{"choices": [}'),
    ]) {
      const { body, state } = bodyOf([event(chunk("a")), bad, event(chunk("b"))]);
      await expect(drain(relayStream(body, []))).rejects.toThrow(/overloaded now|malformed/);
      expect(state).toEqual({ read: 2, closed: true });
    }
  });

  it("closes the reader when its consumer returns mid-stream", async () => {
    const { body, state } = bodyOf([event(chunk("a")), event(chunk("b")), event(chunk("c"))]);
    const items = relayStream(body, [])[Symbol.asyncIterator]();
    await items.next();
    await items.return?.();
    expect(state).toEqual({ read: 1, closed: true });
    expect(await items.next()).toEqual({ done: true, value: undefined });
  });
});
