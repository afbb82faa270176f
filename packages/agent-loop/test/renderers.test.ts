import { type ChatMessage, UpstreamError } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { runAgent } from "../src/index.js";
import {
  type ChatCompletionChunk,
  toChatCompletion,
  toChatCompletionChunks,
  toOpenAIResponse,
} from "../src/openai/index.js";
import {
  calls,
  collect,
  deferred,
  FakeBackend,
  FakeToolset,
  failing,
  slowTool,
  text,
  usage,
} from "./fakes.js";

const messages: ChatMessage[] = [{ role: "user", content: "hi" }];
const weatherTool = {
  type: "function" as const,
  function: { name: "get_weather", parameters: { type: "object" } },
};

function contentOf(chunks: unknown[]): string {
  return (chunks as ChatCompletionChunk[]).map((c) => c.choices?.[0]?.delta.content ?? "").join("");
}

describe("toChatCompletion", () => {
  it("renders a chat.completion with OpenAI usage names", async () => {
    const backend = new FakeBackend([
      text("Hello", usage(12, 4, { cachedTokens: 8, reasoningTokens: 2 })),
    ]);
    const result = await runAgent({ backend, model: "provider-model", messages }).result;
    expect(
      toChatCompletion(result, { model: "my-assistant", id: "chatcmpl-1", created: 1700000000 }),
    ).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1700000000,
      model: "my-assistant",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 4,
        total_tokens: 16,
        prompt_tokens_details: { cached_tokens: 8 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
  });

  it("renders the client's tool calls and keeps providerData on the server", async () => {
    const backend = new FakeBackend([
      calls([{ id: "w", name: "get_weather", args: { city: "Rome" } }], {
        providerData: { sig: "x" },
      }),
    ]);
    const result = await runAgent({ backend, model: "m", messages, clientTools: [weatherTool] })
      .result;
    const completion = toChatCompletion(result, { model: "a" });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(completion.choices[0]?.message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        {
          id: "w",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Rome"}' },
        },
      ],
    });
    expect(JSON.stringify(completion)).not.toContain("providerData");
  });
});

describe("toChatCompletionChunks", () => {
  it("streams role, content, finish and a usage chunk summed over all steps", async () => {
    const toolset = new FakeToolset({ a: {} });
    const backend = new FakeBackend([
      calls([{ name: "a" }], { content: "Looking.", usage: usage(10, 2) }),
      text("Found it.", usage(20, 3)),
    ]);
    const run = runAgent({ backend, model: "m", messages, toolset });
    const chunks = (await collect(
      toChatCompletionChunks(run, { model: "assistant", includeUsage: true, id: "chatcmpl-x" }),
    )) as ChatCompletionChunk[];

    expect(chunks[0]).toMatchObject({
      id: "chatcmpl-x",
      object: "chat.completion.chunk",
      model: "assistant",
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
      usage: null,
    });
    expect(contentOf(chunks)).toBe("Looking.\n\nFound it.");
    const finish = chunks.at(-2);
    expect(finish?.choices).toEqual([
      { index: 0, delta: {}, logprobs: null, finish_reason: "stop" },
    ]);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 },
    });
    // Without tool activity, MCP calls leave no trace in the stream.
    expect(chunks.some((c) => c.aiproxy || c.choices[0]?.delta.tool_calls)).toBe(false);
    expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
  });

  it("omits usage unless asked", async () => {
    const run = runAgent({ backend: new FakeBackend([text("x")]), model: "m", messages });
    const chunks = (await collect(
      toChatCompletionChunks(run, { model: "a" }),
    )) as ChatCompletionChunk[];
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.some((c) => "usage" in c)).toBe(false);
  });

  it("streams client tool calls as tool_calls deltas", async () => {
    const backend = new FakeBackend([
      calls([
        { id: "w1", name: "get_weather", args: { city: "Rome" } },
        { id: "w2", name: "get_weather", args: { city: "Oslo" } },
      ]),
    ]);
    const run = runAgent({ backend, model: "m", messages, clientTools: [weatherTool] });
    const chunks = (await collect(
      toChatCompletionChunks(run, { model: "a" }),
    )) as ChatCompletionChunk[];
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas).toEqual([
      {
        index: 0,
        id: "w1",
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Rome"}' },
      },
      {
        index: 1,
        id: "w2",
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
      },
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("surfaces tool activity as id-less chunks with an empty delta", async () => {
    const toolset = new FakeToolset({
      fetch__fetch: { server: "fetch", tool: "fetch", run: () => "page text" },
    });
    const backend = new FakeBackend([
      calls([{ id: "c1", name: "fetch__fetch", args: { url: "https://example.com" } }]),
      text("Done."),
    ]);
    const run = runAgent({ backend, model: "m", messages, toolset });
    const chunks = (await collect(
      toChatCompletionChunks(run, { model: "a", toolActivity: true }),
    )) as ChatCompletionChunk[];
    const activity = chunks.filter((c) => c.aiproxy);
    expect(activity.map((c) => c.aiproxy)).toEqual([
      {
        type: "tool_call",
        step: 1,
        call_id: "c1",
        name: "fetch__fetch",
        server: "fetch",
        tool: "fetch",
        arguments: '{"url":"https://example.com"}',
      },
      {
        type: "tool_result",
        step: 1,
        call_id: "c1",
        name: "fetch__fetch",
        server: "fetch",
        tool: "fetch",
        is_error: false,
        duration_ms: expect.any(Number),
        content: "page text",
      },
    ]);
    for (const chunk of activity) {
      expect(chunk.id).toBeUndefined();
      expect(chunk.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: null }]);
    }
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(contentOf(chunks)).toBe("Done.");
  });

  it("yields only an error when the run fails before any output", async () => {
    const run = runAgent({
      backend: new FakeBackend([
        failing(new UpstreamError({ upstreamStatus: 401, message: "bad key" })),
      ]),
      model: "m",
      messages,
    });
    const items = await collect(toChatCompletionChunks(run, { model: "a" }));
    expect(items).toEqual([
      {
        error: {
          message: "bad key",
          type: "authentication_error",
          param: null,
          code: "upstream_error",
        },
      },
    ]);
  });

  it("aborts the run when the consumer stops early", async () => {
    const toolset = new FakeToolset({ slow: { run: slowTool(30_000, "never") } });
    const run = runAgent({
      backend: new FakeBackend([calls([{ name: "slow" }], { content: "wait" })]),
      model: "m",
      messages,
      toolset,
    });
    for await (const _chunk of toChatCompletionChunks(run, { model: "a" })) break;
    await expect(run.result).rejects.toThrow(/stopped reading/);
  });
});

describe("toOpenAIResponse", () => {
  it("answers a non-streamed request with JSON", async () => {
    const run = runAgent({ backend: new FakeBackend([text("Hi")]), model: "m", messages });
    const response = await toOpenAIResponse(run, {
      model: "assistant",
      stream: false,
      headers: { "x-request-id": "r1" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-request-id")).toBe("r1");
    const body = (await response.json()) as {
      model: string;
      choices: { message: { content: string } }[];
    };
    expect(body.model).toBe("assistant");
    expect(body.choices[0]?.message.content).toBe("Hi");
  });

  it.each([false, true])(
    "answers an early failure with its HTTP status and headers (stream: %s)",
    async (stream) => {
      const run = runAgent({
        backend: new FakeBackend([
          failing(
            new UpstreamError({ upstreamStatus: 429, message: "rate limited", retryAfter: 7 }),
          ),
        ]),
        model: "m",
        messages,
      });
      const response = await toOpenAIResponse(run, { model: "a", stream });
      expect(response.status).toBe(429);
      expect(response.headers.get("retry-after")).toBe("7");
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(await response.json()).toEqual({
        error: {
          message: "rate limited",
          type: "rate_limit_error",
          param: null,
          code: "upstream_error",
        },
      });
    },
  );

  it("streams SSE with the stream headers and ends with [DONE]", async () => {
    const run = runAgent({ backend: new FakeBackend([text("Hi there")]), model: "m", messages });
    const response = await toOpenAIResponse(run, { model: "a", stream: true, includeUsage: true });
    expect(response.status).toBe(200);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const body = await response.text();
    const events = body.split("\n\n").filter(Boolean);
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as ChatCompletionChunk);
    expect(contentOf(chunks)).toBe("Hi there");
    expect(chunks.at(-1)?.usage?.total_tokens).toBe(15);
  });

  it("writes each chunk as exactly JSON.stringify of the chunk object, with and without usage", async () => {
    for (const includeUsage of [false, true]) {
      // Quotes, a newline and non-ASCII in the text, a model name that needs escaping.
      const answer = 'Say "hi"\nto Zoë ✓';
      const options = { model: 'a"b', includeUsage, id: "chatcmpl-same" };
      const streamed = runAgent({ backend: new FakeBackend([text(answer)]), model: "m", messages });
      const response = await toOpenAIResponse(streamed, { ...options, stream: true });
      const frames = (await response.text()).split("\n\n").filter(Boolean).slice(0, -1);
      const objects = runAgent({ backend: new FakeBackend([text(answer)]), model: "m", messages });
      const chunks = await collect(toChatCompletionChunks(objects, options));
      // `created` is the second the stream started; the two runs may straddle one.
      const created = (JSON.parse(frames[0]?.slice(6) ?? "{}") as ChatCompletionChunk).created;
      for (const chunk of chunks) (chunk as ChatCompletionChunk).created = created;
      expect(frames).toEqual(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}`));
      expect(contentOf(chunks)).toBe(answer);
    }
  });

  it("reports a failure after the first byte as an error event without [DONE]", async () => {
    const run = runAgent({
      backend: new FakeBackend([
        failing(new UpstreamError({ upstreamStatus: 502, message: "upstream reset" }), [
          { type: "text-delta", delta: "partial" },
        ]),
      ]),
      model: "m",
      messages,
    });
    const response = await toOpenAIResponse(run, { model: "a", stream: true });
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain('"content":"partial"');
    expect(body.trimEnd().split("\n\n").at(-1)).toBe(
      'data: {"error":{"message":"upstream reset","type":"upstream_error","param":null,"code":"upstream_error"}}',
    );
    expect(body).not.toContain("[DONE]");
  });

  it("aborts the run when the body is cancelled", async () => {
    const started = deferred();
    let toolSignal: AbortSignal | undefined;
    const toolset = new FakeToolset({
      slow: {
        run: async (_args, signal) => {
          toolSignal = signal;
          started.resolve();
          return slowTool(30_000, "never")!({}, signal);
        },
      },
    });
    const run = runAgent({
      backend: new FakeBackend([calls([{ name: "slow" }])]),
      model: "m",
      messages,
      toolset,
    });
    const response = await toOpenAIResponse(run, { model: "a", stream: true });
    const reader = response.body!.getReader();
    await reader.read();
    await started.promise;
    await reader.cancel();
    await expect(run.result).rejects.toThrow(/stopped reading/);
    expect(toolSignal?.aborted).toBe(true);
  });

  it("sends SSE keep-alive comments while a tool runs", async () => {
    // The tool answers only once the client has read a keep-alive: one is sent while it runs.
    const keptAlive = deferred();
    const toolset = new FakeToolset({
      slow: {
        run: async () => {
          await keptAlive.promise;
          return "late";
        },
      },
    });
    const run = runAgent({
      backend: new FakeBackend([calls([{ name: "slow" }]), text("ok")]),
      model: "m",
      messages,
      toolset,
    });
    const response = await toOpenAIResponse(run, { model: "a", stream: true, keepAliveMs: 50 });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let body = "";
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      body += next.value;
      if (body.includes(": keep-alive\n\n")) keptAlive.resolve();
    }
    expect(body).toContain(": keep-alive\n\n");
    expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});
