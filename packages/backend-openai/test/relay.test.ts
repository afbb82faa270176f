import type { BackendEvent, LlmBackend, LlmRequest, WireEvent } from "@aiproxy/core";
import { startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenAIBackend } from "../src/index.js";
import {
  collect,
  data,
  json,
  type ReplayServer,
  readFixture,
  sse,
  sseFixture,
  startReplayServer,
} from "./helpers/replay.js";

const request: LlmRequest = { model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] };

let upstream: ReplayServer;
let backend: LlmBackend;

beforeAll(async () => {
  upstream = await startReplayServer();
  backend = createOpenAIBackend({ baseUrl: upstream.baseUrl, apiKey: "sk-test-key" });
});
afterAll(() => upstream.close());

const relay = (stream: boolean) =>
  collect((backend.relay as NonNullable<LlmBackend["relay"]>)(request, { stream }));
const eventsOf = (items: WireEvent[]): BackendEvent[] => items.flatMap((item) => item.events);
/** The data of each `data:` event of an SSE body, `[DONE]` left out. */
const dataOf = (body: string) =>
  body
    .split(/\n\n/)
    .map((event) => event.replace(/^data: ?/, "").trim())
    .filter((d) => d !== "" && d !== "[DONE]");

const STREAMS = [
  "ollama/qwen2.5-coder-parallel-tool-calls.sse",
  "vercel-ai/tiny-chunks.chunks.txt",
  "vercel-ai/placeholder-first-chunk.chunks.txt",
  "vercel-ai/issue-20203-empty-tool-calls.chunks.txt",
  "vercel-ai/issue-15789-step-1.chunks.txt",
  "vercel-ai/anthropic-fallback-tool-call.sse",
  "vercel-ai/issue-13703-mistral-thinking.chunks.txt",
  "vercel-ai/azure-text.chunks.txt",
];

describe("relay", () => {
  it("declares the chat-completions wire", () => {
    expect(backend.wire).toBe("openai-chat");
  });

  for (const name of STREAMS) {
    it(`gives ${name}'s events as stream() does, each chunk's text as it came`, async () => {
      upstream.enqueue(sse(sseFixture(name)));
      const streamed = await collect(backend.stream(request));
      upstream.enqueue(sse(sseFixture(name)));
      const items = await relay(true);
      expect(eventsOf(items)).toEqual(streamed);
      const forwarded = items.flatMap((item) => (item.data === undefined ? [] : [item.data]));
      expect(forwarded).toEqual(dataOf(sseFixture(name)).map((d) => d.trim()));
    });
  }

  it("gives an OpenAI-layout stream's events as stream() does", async () => {
    const scripted = await startScriptedUpstream({
      fallback: () => ({
        text: 'one "two" three\\ four',
        usage: { promptTokens: 5, completionTokens: 4 },
      }),
    });
    try {
      const openai = createOpenAIBackend({ baseUrl: scripted.openaiBaseUrl, apiKey: "sk-test" });
      const streamed = await collect(openai.stream(request));
      const items = await collect(
        (openai.relay as NonNullable<LlmBackend["relay"]>)(request, { stream: true }),
      );
      // Each request is its own completion, with its own id.
      const withoutId = (events: BackendEvent[]) =>
        events.map((event) => (event.type === "finish" ? { ...event, id: "" } : event));
      expect(withoutId(eventsOf(items))).toEqual(withoutId(streamed));
      // The role chunk, a chunk per word, the finish and the usage chunk; then the closing item.
      expect(items.filter((item) => item.chunk && item.data).length).toBe(7);
      expect(items.at(-1)).toEqual({ events: [expect.objectContaining({ type: "finish" })] });
    } finally {
      await scripted.close();
    }
  });

  it("marks OpenAI's text chunks plain: the model's place in the text, the object parsed when read", async () => {
    const scripted = await startScriptedUpstream({
      fallback: () => ({
        text: 'say "model":"x" café',
        usage: { promptTokens: 5, completionTokens: 4 },
      }),
    });
    try {
      const openai = createOpenAIBackend({ baseUrl: scripted.openaiBaseUrl, apiKey: "sk-test" });
      const items = await collect(
        (openai.relay as NonNullable<LlmBackend["relay"]>)(request, { stream: true }),
      );
      const plain = items.filter((item) => item.plain);
      // Every chunk but the usage chunk (and the closing item, which has no text).
      expect(plain.length).toBe(items.length - 2);
      for (const item of plain) {
        const data = item.data as string;
        const { modelStart, modelEnd } = item.plain as NonNullable<WireEvent["plain"]>;
        expect(data.slice(modelStart, modelEnd)).toBe(JSON.stringify(JSON.parse(data).model));
        expect(item.chunk).toEqual(JSON.parse(data));
      }
      const usage = items.at(-2);
      expect(usage?.plain).toBeUndefined();
      expect(usage?.chunk).toMatchObject({ choices: [], usage: { prompt_tokens: 5 } });
    } finally {
      await scripted.close();
    }
  });

  it("fails on an error event after plain chunks, with the upstream's message", async () => {
    const chunk = (content: string) =>
      data(
        `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"logprobs":null,"finish_reason":null}]}`,
      );
    upstream.enqueue(
      sse(
        `${chunk("one")}${chunk("two")}event: error\ndata: {"error":{"message":"overloaded now","type":"server_error"}}\n\n`,
      ),
    );
    const seen: WireEvent[] = [];
    const failure = (async () => {
      for await (const item of (backend.relay as NonNullable<LlmBackend["relay"]>)(request, {
        stream: true,
      }))
        seen.push(item);
    })();
    await expect(failure).rejects.toMatchObject({
      message: expect.stringContaining("overloaded now"),
    });
    expect(seen.map((item) => item.plain !== undefined)).toEqual([true, true]);
  });

  it("gives a whole answer as one item: the body and its events", async () => {
    upstream.enqueue(json(readFixture("vercel-ai/openai-text.json")));
    const generated = await (async () => {
      upstream.enqueue(json(readFixture("vercel-ai/openai-text.json")));
      return backend.generate(request);
    })();
    const items = await relay(false);
    expect(items).toHaveLength(1);
    expect(items[0]?.chunk).toEqual(JSON.parse(readFixture("vercel-ai/openai-text.json")));
    const finish = items[0]?.events.at(-1);
    expect(finish).toMatchObject({ type: "finish", message: generated.message });
  });

  it("turns a whole answer to a streamed request into one chunk with the message as its delta", async () => {
    upstream.enqueue(json(readFixture("vercel-ai/openai-text.json")));
    const items = await relay(true);
    const body = JSON.parse(readFixture("vercel-ai/openai-text.json"));
    expect(items[0]?.chunk).toMatchObject({
      object: "chat.completion.chunk",
      id: body.id,
      choices: [{ index: 0, delta: body.choices[0].message }],
    });
    expect(eventsOf(items).at(-1)).toMatchObject({ type: "finish" });
  });
});
