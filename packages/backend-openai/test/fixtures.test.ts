import type { BackendEvent, Completion, LlmBackend, LlmRequest } from "@aiproxy/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChunkAccumulator } from "../src/accumulator.js";
import { createOpenAIBackend } from "../src/index.js";
import type { OpenAIChatCompletionChunk } from "../src/wire.js";
import {
  chunksOf,
  collect,
  json,
  type ReplayServer,
  readFixture,
  sse,
  sseFixture,
  startReplayServer,
} from "./helpers/replay.js";

const request: LlmRequest = { model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] };
const noUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

let upstream: ReplayServer;
let backend: LlmBackend;

beforeAll(async () => {
  upstream = await startReplayServer();
  backend = createOpenAIBackend({ baseUrl: upstream.baseUrl, apiKey: "sk-test-key" });
});
afterAll(() => upstream.close());

async function replayStream(name: string, sliceBytes?: number): Promise<BackendEvent[]> {
  upstream.enqueue(sse(sseFixture(name), sliceBytes));
  return collect(backend.stream(request));
}

async function replayJson(name: string): Promise<Completion> {
  upstream.enqueue(json(readFixture(name)));
  return backend.generate(request);
}

/** The same fixture fed straight into the pure accumulator. */
function accumulate(name: string): BackendEvent[] {
  const accumulator = new ChunkAccumulator();
  const events = chunksOf(name).flatMap((chunk) =>
    accumulator.push(chunk as OpenAIChatCompletionChunk),
  );
  return [...events, ...accumulator.finish()];
}

describe("recorded streams", () => {
  it("sends the documented request: POST /v1/chat/completions, Bearer auth, include_usage", async () => {
    await replayStream("vercel-ai/placeholder-first-chunk.chunks.txt");
    const sent = upstream.requests.at(-1)!;
    expect(sent.method).toBe("POST");
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer sk-test-key");
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(sent.headers.accept).toBe("text/event-stream");
    expect(sent.body).toEqual({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("vercel-ai issue-15789-step-1 (gpt-4o): text, a no-argument tool call, then a usage-only chunk", async () => {
    const expected: BackendEvent[] = [
      { type: "text-delta", delta: "PRE" },
      { type: "text-delta", delta: "_TOOL" },
      {
        type: "tool-call-delta",
        index: 0,
        id: "call_NZa7xqfefoaMI2YYHowVXVlU",
        name: "weather",
      },
      { type: "tool-call-delta", index: 0, argumentsDelta: "{}" },
      {
        type: "finish",
        id: "chatcmpl-E6yvi7cuDcHZEHTMxcLDyf3CMKIO2",
        finishReason: "tool_calls",
        usage: {
          promptTokens: 58,
          completionTokens: 12,
          totalTokens: 70,
          cachedTokens: 0,
          reasoningTokens: 0,
        },
        message: {
          role: "assistant",
          content: "PRE_TOOL",
          tool_calls: [
            {
              id: "call_NZa7xqfefoaMI2YYHowVXVlU",
              type: "function",
              function: { name: "weather", arguments: "{}" },
            },
          ],
        },
      },
    ];
    expect(await replayStream("vercel-ai/issue-15789-step-1.chunks.txt")).toEqual(expected);
    expect(accumulate("vercel-ai/issue-15789-step-1.chunks.txt")).toEqual(expected);
  });

  it("parses events split across arbitrary network chunks", async () => {
    const events = await replayStream("vercel-ai/issue-15789-step-1.chunks.txt", 5);
    expect(events).toEqual(accumulate("vercel-ai/issue-15789-step-1.chunks.txt"));
  });

  it("vercel-ai anthropic-fallback-tool-call (Claude behind a compatible API): tool index 1 becomes position 0", async () => {
    expect(await replayStream("vercel-ai/anthropic-fallback-tool-call.sse")).toEqual([
      { type: "text-delta", delta: "Reading" },
      { type: "text-delta", delta: " it." },
      { type: "tool-call-delta", index: 0, id: "toolu_sanitized", name: "read_file" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"pa' },
      { type: "tool-call-delta", index: 0, argumentsDelta: 'th": "a.txt"}' },
      {
        type: "finish",
        id: "msg_sanitized",
        finishReason: "tool_calls",
        usage: noUsage,
        message: {
          role: "assistant",
          content: "Reading it.",
          tool_calls: [
            {
              id: "toolu_sanitized",
              type: "function",
              function: { name: "read_file", arguments: '{"path": "a.txt"}' },
            },
          ],
        },
      },
    ]);
  });

  it("ollama qwen2.5-coder: parallel calls with whole arguments in one chunk and role repeated", async () => {
    const events = await replayStream("ollama/qwen2.5-coder-parallel-tool-calls.sse");
    expect(events).toEqual([
      { type: "tool-call-delta", index: 0, id: "call_wteop8bt", name: "run_command" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"command":"ls"}' },
      { type: "tool-call-delta", index: 1, id: "call_rk2xye1l", name: "run_command" },
      { type: "tool-call-delta", index: 1, argumentsDelta: '{"command":"ls -l"}' },
      {
        type: "finish",
        id: "chatcmpl-18",
        finishReason: "tool_calls",
        usage: noUsage,
        message: {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_wteop8bt",
              type: "function",
              function: { name: "run_command", arguments: '{"command":"ls"}' },
            },
            {
              id: "call_rk2xye1l",
              type: "function",
              function: { name: "run_command", arguments: '{"command":"ls -l"}' },
            },
          ],
        },
      },
    ]);
  });

  it("ollama qwen2.5-coder: the whole answer and finish_reason in one chunk", async () => {
    const text = "My name is Ben Dover. How can I help you today?";
    expect(await replayStream("ollama/qwen2.5-coder-single-chunk.json")).toEqual([
      { type: "text-delta", delta: text },
      {
        type: "finish",
        id: "chatcmpl-768",
        finishReason: "stop",
        usage: noUsage,
        message: { role: "assistant", content: text },
      },
    ]);
  });

  it("vercel-ai azure-text: prompt-filter chunk with empty choices, a choice without delta, usage last", async () => {
    expect(await replayStream("vercel-ai/azure-text.chunks.txt")).toEqual([
      { type: "text-delta", delta: "Hello" },
      { type: "text-delta", delta: " World" },
      {
        type: "finish",
        id: "chatcmpl-test",
        finishReason: "stop",
        usage: {
          promptTokens: 15,
          completionTokens: 5,
          totalTokens: 20,
          cachedTokens: 0,
          reasoningTokens: 0,
        },
        message: { role: "assistant", content: "Hello World" },
      },
    ]);
  });

  it("vercel-ai placeholder-first-chunk: an empty first chunk, usage without details", async () => {
    expect(await replayStream("vercel-ai/placeholder-first-chunk.chunks.txt")).toEqual([
      { type: "text-delta", delta: "Hello" },
      {
        type: "finish",
        id: "chatcmpl-123",
        finishReason: "stop",
        usage: { promptTokens: 10, completionTokens: 1, totalTokens: 11 },
        message: { role: "assistant", content: "Hello" },
      },
    ]);
  });

  it("vercel-ai tiny-chunks: reasoning_content deltas, then text, no usage at all", async () => {
    const events = await replayStream("vercel-ai/tiny-chunks.chunks.txt");
    const reasoning = events.flatMap((e) => (e.type === "reasoning-delta" ? [e.delta] : []));
    expect(reasoning).toHaveLength(13);
    expect(reasoning.join("")).toBe('First, the user said: "Hello." That is simple.');
    expect(events.slice(13)).toEqual([
      { type: "text-delta", delta: "Hi" },
      { type: "text-delta", delta: " there" },
      { type: "text-delta", delta: "!" },
      {
        type: "finish",
        id: "test-1",
        finishReason: "stop",
        usage: noUsage,
        message: { role: "assistant", content: "Hi there!" },
      },
    ]);
  });

  it("vercel-ai issue-20203: empty tool_calls arrays and finish_reason on the content chunk", async () => {
    expect(await replayStream("vercel-ai/issue-20203-empty-tool-calls.chunks.txt")).toEqual([
      { type: "reasoning-delta", delta: "Think " },
      { type: "reasoning-delta", delta: "more..." },
      { type: "text-delta", delta: "Hello" },
      {
        type: "finish",
        id: "chatcmpl-issue-20203",
        finishReason: "stop",
        usage: noUsage,
        message: { role: "assistant", content: "Hello" },
      },
    ]);
  });

  it("vercel-ai issue-13703 (mistral-small): thinking content parts as reasoning, usage on the finish chunk", async () => {
    const events = await replayStream("vercel-ai/issue-13703-mistral-thinking.chunks.txt");
    const reasoning = events.flatMap((e) => (e.type === "reasoning-delta" ? [e.delta] : []));
    expect(reasoning).toHaveLength(39);
    expect(reasoning.join("")).toBe(
      "Okay, the user is asking for the product of 17 and 23. I need to calculate this multiplication. " +
        "Let me break it down:\n\nFirst, I recall that 17 multiplied by 20 is 340 (since 17 * 20 = 340).\n" +
        "Then, I need to add 17 multiplied by 3, which is 51 (since 17 * 3 = 51).\n" +
        "Now, add these two results together: 340 + 51 = 391.\n\nSo, 17 * 23 = 391.",
    );
    expect(events.slice(39)).toEqual([
      { type: "text-delta", delta: "3" },
      { type: "text-delta", delta: "91" },
      {
        type: "finish",
        id: "ed56a5f5c9254b8981e89c2ecfdd6a8d",
        finishReason: "stop",
        usage: { promptTokens: 28, completionTokens: 139, totalTokens: 167, cachedTokens: 0 },
        message: { role: "assistant", content: "391" },
      },
    ]);
  });

  it("accepts a stream without data: [DONE] once a finish_reason was seen", async () => {
    upstream.enqueue(sse(sseFixture("vercel-ai/issue-15789-step-1.chunks.txt", { done: false })));
    const events = await collect(backend.stream(request));
    expect(events).toEqual(accumulate("vercel-ai/issue-15789-step-1.chunks.txt"));
  });
});

describe("recorded completions", () => {
  it("vercel-ai openai-text (gpt-4.1-nano): text with usage details", async () => {
    const completion = await replayJson("vercel-ai/openai-text.json");
    expect(upstream.requests.at(-1)!.body).toEqual({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(upstream.requests.at(-1)!.headers.accept).toBe("application/json");
    expect(completion.id).toBe("chatcmpl-D8Z5f52zQqikDBEKQMQoYcWMcWPeU");
    expect(completion.finishReason).toBe("stop");
    expect(completion.usage).toEqual({
      promptTokens: 16,
      completionTokens: 363,
      totalTokens: 379,
      cachedTokens: 0,
      reasoningTokens: 0,
    });
    expect(Object.keys(completion.message)).toEqual(["role", "content"]);
    const content = completion.message.content as string;
    expect(content.startsWith("**Holiday Name:** Galaxy Day  \n\n**Date:**")).toBe(true);
    expect(content).toContain("vast darkness\u2014mirroring");
    expect(content.endsWith("dream beyond our world.")).toBe(true);
  });

  it("vercel-ai xai-tool-call (grok-3-mini): empty content beside a call, cached and reasoning tokens, total as reported", async () => {
    expect(await replayJson("vercel-ai/xai-tool-call.json")).toEqual({
      id: "acfa24c3-b556-0f2c-731e-64fb836d544b",
      finishReason: "tool_calls",
      // Beside the message, so a renderer can show it (the stream sends it as reasoning-delta).
      reasoning: expect.stringMatching(/\S/),
      usage: {
        promptTokens: 307,
        completionTokens: 26,
        totalTokens: 588,
        cachedTokens: 244,
        reasoningTokens: 255,
      },
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_46427107",
            type: "function",
            function: { name: "weather", arguments: '{"location":"San Francisco"}' },
          },
        ],
      },
    });
  });

  it("deepseek-reasoner: reasoning_content is not part of the message; reasoning tokens counted", async () => {
    expect(await replayJson("deepseek/deepseek-reasoner.json")).toEqual({
      id: "931809f8-3d1c-44d9-b124-367d05e0f123",
      finishReason: "stop",
      reasoning: expect.stringMatching(/\S/),
      usage: {
        promptTokens: 6,
        completionTokens: 92,
        totalTokens: 98,
        cachedTokens: 0,
        reasoningTokens: 81,
      },
      message: { role: "assistant", content: "Hello! How can I assist you today?" },
    });
  });
});
