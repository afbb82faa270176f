import { type LlmRequest, UpstreamError } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { ChunkAccumulator } from "../src/accumulator.js";
import { toOpenAIRequest } from "../src/request.js";
import { finishReasonOf, fromOpenAICompletion, usageOf } from "../src/response.js";
import type { OpenAIChatCompletionChunk, OpenAIResponseMessage } from "../src/wire.js";

const base: LlmRequest = { model: "m", messages: [{ role: "user", content: "Hi" }] };

describe("toOpenAIRequest", () => {
  it("passes messages through, dropping what is not wire format", () => {
    const body = toOpenAIRequest({
      model: "m",
      messages: [
        { role: "developer", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Look" }], name: "ann" },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
          refusal: null,
          providerData: { anthropic: { content: [] } },
        },
        { role: "tool", tool_call_id: "c1", content: "failed", isError: true },
        { role: "assistant", content: "Done.", tool_calls: [] },
      ],
    });
    expect(body.messages).toEqual([
      { role: "developer", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Look" }], name: "ann" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "failed" },
      { role: "assistant", content: "Done." },
    ]);
  });

  it("sends tool text as a string and tool images in one user message after the run", () => {
    const image = { type: "image_url" as const, image_url: { url: "data:image/png;base64,AAAA" } };
    const body = toOpenAIRequest({
      model: "m",
      messages: [
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "a", type: "function", function: { name: "shot", arguments: "{}" } },
            { id: "b", type: "function", function: { name: "read", arguments: "{}" } },
          ],
        },
        {
          role: "tool",
          tool_call_id: "a",
          content: [{ type: "text", text: "line 1" }, image, { type: "text", text: "line 2" }],
        },
        { role: "tool", tool_call_id: "b", content: [{ type: "text", text: "text only" }] },
        { role: "user", content: "What do you see?" },
      ],
    });
    expect(body.messages.slice(1)).toEqual([
      { role: "tool", tool_call_id: "a", content: "line 1\nline 2" },
      { role: "tool", tool_call_id: "b", content: "text only" },
      {
        role: "user",
        content: [{ type: "text", text: "Images returned by the tool calls above:" }, image],
      },
      { role: "user", content: "What do you see?" },
    ]);
  });

  it("passes every listed parameter, omits undefined ones and n", () => {
    const params = {
      temperature: 0,
      top_p: 0.5,
      max_tokens: 10,
      max_completion_tokens: 20,
      stop: "END",
      seed: 1,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      response_format: { type: "json_object" },
      reasoning_effort: "high",
      user: "u",
      logit_bias: { "50256": -100 },
      logprobs: true,
      top_logprobs: 2,
      service_tier: "flex",
      metadata: { run: "1" },
    };
    const body = toOpenAIRequest({ ...base, params: { ...params, n: 3, seed: undefined } });
    const { seed: _seed, ...expected } = params;
    expect(body).toEqual({ ...base, ...expected });
  });

  it("sends tool_choice and parallel_tool_calls only with tools", () => {
    const params = { tool_choice: "auto" as const, parallel_tool_calls: true };
    expect(toOpenAIRequest({ ...base, params, tools: [] })).toEqual(base);
    const tools = [{ type: "function" as const, function: { name: "f", strict: true } }];
    expect(toOpenAIRequest({ ...base, params, tools })).toEqual({ ...base, tools, ...params });
  });

  it("asks a stream for usage, and lets extraBody override anything", () => {
    expect(toOpenAIRequest(base, { stream: true })).toEqual({
      ...base,
      stream: true,
      stream_options: { include_usage: true },
    });
    const body = toOpenAIRequest(
      {
        ...base,
        extraBody: { stream_options: { include_usage: false }, chat_template_kwargs: {} },
      },
      { stream: true },
    );
    expect(body.stream_options).toEqual({ include_usage: false });
    expect(body.chat_template_kwargs).toEqual({});
  });
});

describe("fromOpenAICompletion", () => {
  const completion = (
    message: OpenAIResponseMessage,
    finish_reason: string | null = "stop",
    extra = {},
  ) => fromOpenAICompletion({ id: "x", choices: [{ index: 0, message, finish_reason }], ...extra });

  it("generates missing call ids, encodes object arguments, and fills empty ones with {}", () => {
    const { message, finishReason } = completion(
      {
        role: "assistant",
        content: "",
        tool_calls: [
          { type: "function", function: { name: "a", arguments: { x: 1 } } },
          { id: "", function: { name: "b", arguments: "" } },
          { id: "call_c", function: { name: "c" } },
        ],
      },
      "stop",
    );
    expect(finishReason).toBe("tool_calls");
    const ids = message.tool_calls?.map((call) => call.id) ?? [];
    expect(ids[0]).toMatch(/^call_/);
    expect(ids[1]).toMatch(/^call_/);
    expect(ids[0]).not.toBe(ids[1]);
    expect(message).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [
        { id: ids[0], type: "function", function: { name: "a", arguments: '{"x":1}' } },
        { id: ids[1], type: "function", function: { name: "b", arguments: "{}" } },
        { id: "call_c", type: "function", function: { name: "c", arguments: "{}" } },
      ],
    });
  });

  it("reads the legacy function_call", () => {
    const { message, finishReason } = completion(
      { content: null, function_call: { name: "f", arguments: '{"a":1}' } },
      "function_call",
    );
    expect(finishReason).toBe("tool_calls");
    expect(message.tool_calls?.[0]?.function).toEqual({ name: "f", arguments: '{"a":1}' });
  });

  it("joins Mistral's content parts, leaving thinking out of the message", () => {
    const { message } = completion({
      content: [
        { type: "thinking", thinking: [{ type: "text", text: "hmm" }] },
        { type: "text", text: "3" },
        { type: "text", text: "91" },
      ],
    });
    expect(message).toEqual({ role: "assistant", content: "391" });
  });

  it("keeps a refusal and maps content_filter", () => {
    const result = completion(
      { content: null, refusal: "I can't help with that." },
      "content_filter",
    );
    expect(result.message).toEqual({
      role: "assistant",
      content: "",
      refusal: "I can't help with that.",
    });
    expect(result.finishReason).toBe("content_filter");
  });

  it("throws on a response without choices", () => {
    expect(() => fromOpenAICompletion({ id: "x", choices: [] })).toThrow(/no choices/);
  });
});

describe("finishReasonOf and usageOf", () => {
  it("maps finish reasons", () => {
    expect(finishReasonOf("stop")).toBe("stop");
    expect(finishReasonOf("length")).toBe("length");
    expect(finishReasonOf("tool_calls")).toBe("tool_calls");
    expect(finishReasonOf("function_call")).toBe("tool_calls");
    expect(finishReasonOf("content_filter")).toBe("content_filter");
    expect(finishReasonOf("eos")).toBe("stop");
    expect(finishReasonOf(null)).toBe("stop");
    expect(finishReasonOf("stop", true)).toBe("tool_calls");
    expect(finishReasonOf("length", true)).toBe("length");
  });

  it("maps usage, with DeepSeek's cache field and a missing total", () => {
    expect(
      usageOf({ prompt_tokens: 10, completion_tokens: 5, prompt_cache_hit_tokens: 8 }),
    ).toEqual({
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      cachedTokens: 8,
    });
    expect(
      usageOf({
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 3 },
      }),
    ).toEqual({
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      cachedTokens: 4,
      reasoningTokens: 3,
    });
    expect(usageOf(null)).toEqual({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });
  });
});

describe("ChunkAccumulator", () => {
  const chunk = (delta: object | undefined, extra: Partial<OpenAIChatCompletionChunk> = {}) =>
    ({
      id: "chatcmpl-1",
      choices: [{ index: 0, delta, finish_reason: null }],
      ...extra,
    }) as OpenAIChatCompletionChunk;
  const run = (chunks: OpenAIChatCompletionChunk[]) => {
    const accumulator = new ChunkAccumulator();
    return [...chunks.flatMap((c) => accumulator.push(c)), ...accumulator.finish()];
  };

  it("generates an id for a call without one and keeps it for later deltas", () => {
    const events = run([
      chunk({ tool_calls: [{ index: 0, function: { name: "f", arguments: '{"a"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: "f", arguments: ":1}" } }] }),
    ]);
    const id = (events[0] as { id: string }).id;
    expect(id).toMatch(/^call_/);
    expect(events.slice(0, 3)).toEqual([
      { type: "tool-call-delta", index: 0, id, name: "f" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"a"' },
      { type: "tool-call-delta", index: 0, argumentsDelta: ":1}" },
    ]);
    expect(events[3]).toMatchObject({
      message: { tool_calls: [{ id, function: { name: "f", arguments: '{"a":1}' } }] },
    });
  });

  it("holds arguments that arrive before the name", () => {
    const events = run([
      chunk({ tool_calls: [{ index: 0, id: "c", function: { arguments: "{}" } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: "late" } }] }),
    ]);
    expect(events.slice(0, 2)).toEqual([
      { type: "tool-call-delta", index: 0, id: "c", name: "late" },
      { type: "tool-call-delta", index: 0, argumentsDelta: "{}" },
    ]);
  });

  it("treats a new id under a reused index, or calls without an index, as new calls", () => {
    const events = run([
      chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: "{}" } }] }),
      chunk({ tool_calls: [{ index: 0, id: "b", function: { name: "g", arguments: "{}" } }] }),
      chunk({ tool_calls: [{ id: "c", function: { name: "h", arguments: '{"x"' } }] }),
      chunk({ tool_calls: [{ function: { arguments: ":2}" } }] }),
    ]);
    const finish = events.at(-1);
    if (finish?.type !== "finish") throw new Error("no finish");
    expect(
      finish.message.tool_calls?.map((c) => [c.id, c.function.name, c.function.arguments]),
    ).toEqual([
      ["a", "f", "{}"],
      ["b", "g", "{}"],
      ["c", "h", '{"x":2}'],
    ]);
    expect(finish.finishReason).toBe("tool_calls");
  });

  it("announces a call that never got a name at the end, with {} arguments", () => {
    const events = run([chunk({ tool_calls: [{ index: 3, id: "x" }] })]);
    expect(events.slice(0, 2)).toEqual([
      { type: "tool-call-delta", index: 0, id: "x", name: "" },
      { type: "tool-call-delta", index: 0, argumentsDelta: "{}" },
    ]);
  });

  it("takes the last usage, reads `reasoning`, refusal and the legacy function_call delta", () => {
    const usage = (n: number) => ({ prompt_tokens: n, completion_tokens: n, total_tokens: 2 * n });
    const accumulator = new ChunkAccumulator();
    const events = [
      ...accumulator.push(chunk({ reasoning: "think" }, { usage: usage(1) })),
      ...accumulator.push(chunk({ refusal: "No" }, { usage: usage(2) })),
      ...accumulator.push(
        chunk({ function_call: { name: "f", arguments: "{}" } }, { usage: null }),
      ),
      ...accumulator.push({ choices: [{ index: 1, delta: { content: "other choice" } }] }),
      ...accumulator.finish(),
    ];
    expect(events[0]).toEqual({ type: "reasoning-delta", delta: "think" });
    expect(events.some((e) => e.type === "text-delta")).toBe(false);
    expect(events.at(-1)).toMatchObject({
      usage: { promptTokens: 2, completionTokens: 2, totalTokens: 4 },
      finishReason: "tool_calls",
      message: {
        content: null,
        refusal: "No",
        tool_calls: [{ function: { name: "f", arguments: "{}" } }],
      },
    });
  });

  it("streams Mistral's thinking parts as reasoning, before the text of the same chunk", () => {
    const events = run([
      chunk({
        content: [
          { type: "thinking", thinking: [{ type: "text", text: "1." }], closed: true },
          { type: "text", text: "3" },
        ],
      }),
    ]);
    expect(events.slice(0, 2)).toEqual([
      { type: "reasoning-delta", delta: "1." },
      { type: "text-delta", delta: "3" },
    ]);
  });

  it("throws an in-stream error as an UpstreamError with secrets redacted", () => {
    const accumulator = new ChunkAccumulator({ secrets: ["sk-secret-1234"] });
    let error: unknown;
    try {
      accumulator.push({
        error: { message: "bad key sk-secret-1234", type: "invalid_request_error", code: null },
      });
    } catch (caught) {
      error = caught;
    }
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as UpstreamError).upstreamStatus).toBe(400);
    expect((error as Error).message).toBe(
      "Upstream stream failed (invalid_request_error): bad key [REDACTED]",
    );
  });

  it("reports whether a finish_reason was seen", () => {
    const accumulator = new ChunkAccumulator();
    accumulator.push(chunk({ content: "a" }));
    expect(accumulator.sawFinishReason).toBe(false);
    accumulator.push({ choices: [{ index: 0, finish_reason: "length" }] });
    expect(accumulator.sawFinishReason).toBe(true);
    expect(accumulator.finish().at(-1)).toMatchObject({ finishReason: "length" });
  });
});
