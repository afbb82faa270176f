import { type ChatMessage, type ToolDefinition, UpstreamError } from "@aiproxy/core";
import OpenAI, { APIError } from "openai";
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgent } from "../src/index.js";
import { toOpenAIResponse } from "../src/openai/index.js";
import {
  calls,
  deferred,
  FakeBackend,
  FakeToolset,
  failing,
  type ScriptStep,
  text,
  usage,
} from "./fakes.js";
import { startServer, type TestServer } from "./http.js";

/**
 * The gateway in miniature: each request runs the agent over a fresh
 * scripted backend and answers through toOpenAIResponse. The request's
 * signal is deliberately not passed to runAgent, so a disconnect can only
 * reach the run through the body's cancellation.
 */
function serve(
  server: TestServer,
  script: () => ScriptStep[],
  options: {
    toolset?: FakeToolset;
    toolActivity?: boolean;
    onRun?: (backend: FakeBackend) => void;
  } = {},
) {
  server.setHandler(async (body) => {
    const backend = new FakeBackend(script());
    options.onRun?.(backend);
    const run = runAgent({
      backend,
      model: "provider-model",
      messages: body.messages as ChatMessage[],
      clientTools: body.tools as ToolDefinition[] | undefined,
      toolset: options.toolset,
    });
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    return toOpenAIResponse(run, {
      model: String(body.model),
      stream: body.stream === true,
      includeUsage: streamOptions?.include_usage === true,
      toolActivity: options.toolActivity,
    });
  });
}

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

const ask = [{ role: "user" as const, content: "What's up?" }];

function withoutIdentity(completion: ChatCompletion): unknown {
  const { id: _id, created: _created, ...rest } = completion;
  return rest;
}

describe("the official openai client reads the renderers' output", () => {
  let server: TestServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startServer();
    client = new OpenAI({ baseURL: server.baseURL, apiKey: "test-key", maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  const mcpScript = () => [
    calls([{ id: "c1", name: "fetch__fetch", args: { url: "https://example.com" } }], {
      content: "Fetching.",
      usage: usage(100, 10, { cachedTokens: 40 }),
    }),
    text("The page says hello.", usage(200, 20, { reasoningTokens: 5 })),
  ];
  const fetchToolset = () =>
    new FakeToolset({ fetch__fetch: { server: "fetch", tool: "fetch", run: () => "hello" } });

  it("parses a non-streamed completion with usage", async () => {
    serve(server, mcpScript, { toolset: fetchToolset() });
    const completion = await client.chat.completions.create({
      model: "my-assistant",
      messages: ask,
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("my-assistant");
    expect(completion.choices[0]?.message.content).toBe("The page says hello.");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({
      prompt_tokens: 300,
      completion_tokens: 30,
      total_tokens: 330,
      prompt_tokens_details: { cached_tokens: 40 },
      completion_tokens_details: { reasoning_tokens: 5 },
    });
  });

  it("iterates a stream with include_usage", async () => {
    serve(server, mcpScript, { toolset: fetchToolset() });
    const stream = await client.chat.completions.create({
      model: "my-assistant",
      messages: ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(
      "Fetching.\n\nThe page says hello.",
    );
    expect(chunks.every((c) => c.model === "my-assistant")).toBe(true);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({
      prompt_tokens: 300,
      completion_tokens: 30,
      total_tokens: 330,
    });
  });

  it("accumulates a streamed answer with the ChatCompletionStream helper", async () => {
    serve(server, mcpScript, { toolset: fetchToolset() });
    const final = await client.chat.completions
      .stream({ model: "my-assistant", messages: ask, stream_options: { include_usage: true } })
      .finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("Fetching.\n\nThe page says hello.");
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(final.usage?.total_tokens).toBe(330);
  });

  describe("client tools", () => {
    const clientScript = () => [
      calls([
        { id: "call_a", name: "get_weather", args: { city: "Rome" } },
        { id: "call_b", name: "get_weather", args: { city: "Oslo" } },
      ]),
    ];

    it("returns the client's calls in a non-streamed completion", async () => {
      serve(server, clientScript);
      const completion = await client.chat.completions.create({
        model: "a",
        messages: ask,
        tools: [weatherTool],
      });
      expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
      expect(completion.choices[0]?.message.tool_calls).toEqual([
        {
          id: "call_a",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Rome"}' },
        },
        {
          id: "call_b",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
        },
      ]);
    });

    it("streams the client's calls so the helper can rebuild them", async () => {
      serve(server, clientScript);
      const runner = client.chat.completions.stream({
        model: "a",
        messages: ask,
        tools: [weatherTool],
      });
      const final = await runner.finalChatCompletion();
      expect(final.choices[0]?.finish_reason).toBe("tool_calls");
      expect(
        final.choices[0]?.message.tool_calls?.map((c) => [
          c.id,
          c.type === "function" && c.function.arguments,
        ]),
      ).toEqual([
        ["call_a", '{"city":"Rome"}'],
        ["call_b", '{"city":"Oslo"}'],
      ]);
    });
  });

  describe("tool activity", () => {
    it("is ignored by `for await` consumers of a stream", async () => {
      serve(server, mcpScript, { toolset: fetchToolset(), toolActivity: true });
      const stream = await client.chat.completions.create({
        model: "a",
        messages: ask,
        stream: true,
        stream_options: { include_usage: true },
      });
      let content = "";
      const activity: unknown[] = [];
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta?.content ?? "";
        const extra = (chunk as { aiproxy?: unknown }).aiproxy;
        if (extra) activity.push(extra);
      }
      expect(content).toBe("Fetching.\n\nThe page says hello.");
      // Still there for a UI that looks for it.
      expect(activity).toMatchObject([
        { type: "tool_call", name: "fetch__fetch", server: "fetch", tool: "fetch" },
        { type: "tool_result", name: "fetch__fetch", is_error: false, content: "hello" },
      ]);
    });

    it("leaves the ChatCompletionStream helper's final completion unchanged", async () => {
      const finalFor = async (toolActivity: boolean) => {
        serve(server, mcpScript, { toolset: fetchToolset(), toolActivity });
        const runner = client.chat.completions.stream({
          model: "a",
          messages: ask,
          stream_options: { include_usage: true },
        });
        const contentEvents: string[] = [];
        runner.on("content", (delta) => contentEvents.push(delta));
        const final = await runner.finalChatCompletion();
        return { final, contentEvents };
      };
      const plain = await finalFor(false);
      const withActivity = await finalFor(true);
      expect(withoutIdentity(withActivity.final)).toEqual(withoutIdentity(plain.final));
      expect(JSON.stringify(withActivity.final)).not.toContain("aiproxy");
      expect(withActivity.contentEvents).toEqual(plain.contentEvents);
    });

    it("is ignored next to the client's own tool calls", async () => {
      serve(
        server,
        () => [
          calls([{ id: "m", name: "fetch__fetch" }]),
          calls([{ id: "call_w", name: "get_weather", args: { city: "Rome" } }]),
        ],
        { toolset: fetchToolset(), toolActivity: true },
      );
      const final = await client.chat.completions
        .stream({ model: "a", messages: ask, tools: [weatherTool] })
        .finalChatCompletion();
      expect(final.choices[0]?.message.tool_calls).toHaveLength(1);
      expect(final.choices[0]?.message.tool_calls?.[0]?.id).toBe("call_w");
    });
  });

  describe("errors", () => {
    const rateLimited = () => [
      failing(
        new UpstreamError({ upstreamStatus: 429, message: "Too many requests", retryAfter: 12 }),
      ),
    ];

    it.each([false, true])(
      "raise an APIError with the real status before the first byte (stream: %s)",
      async (stream) => {
        serve(server, rateLimited);
        const error = await (async () => {
          const response = await client.chat.completions.create({
            model: "a",
            messages: ask,
            stream,
          });
          if (stream) for await (const _ of response as AsyncIterable<unknown>);
        })().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(APIError);
        const apiError = error as APIError;
        expect(apiError.status).toBe(429);
        expect(apiError.headers?.get("retry-after")).toBe("12");
        expect(apiError.message).toContain("Too many requests");
        expect(apiError.type).toBe("rate_limit_error");
      },
    );

    it("raise an APIError mid-stream after content was delivered", async () => {
      serve(server, () => [
        failing(new UpstreamError({ upstreamStatus: 500, message: "upstream died" }), [
          { type: "text-delta", delta: "Half an ans" },
        ]),
      ]);
      const stream = await client.chat.completions.create({
        model: "a",
        messages: ask,
        stream: true,
      });
      let content = "";
      const error = await (async () => {
        for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
      })().catch((e: unknown) => e);
      expect(content).toBe("Half an ans");
      expect(error).toBeInstanceOf(APIError);
      expect((error as APIError).message).toContain("upstream died");
    });
  });

  it("aborts the run when the client disconnects mid-stream", async () => {
    const toolStarted = deferred();
    let toolSignal: AbortSignal | undefined;
    const aborted = deferred();
    const toolset = new FakeToolset({
      slow: {
        run: async (_args, signal) => {
          toolSignal = signal;
          toolStarted.resolve();
          await new Promise((_resolve, reject) =>
            signal?.addEventListener("abort", () => {
              aborted.resolve();
              reject(signal.reason);
            }),
          );
          return "never";
        },
      },
    });
    serve(server, () => [calls([{ name: "slow" }], { content: "Working on it." })], { toolset });
    const stream = await client.chat.completions.create({
      model: "a",
      messages: ask,
      stream: true,
    });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) {
        await toolStarted.promise;
        break; // openai-node aborts the request, closing the socket.
      }
    }
    await aborted.promise;
    expect(toolSignal?.aborted).toBe(true);
  });
});
