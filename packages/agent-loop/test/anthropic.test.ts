import { type BackendEvent, type ChatMessage, UpstreamError } from "@aiproxy/core";
import Anthropic, { APIError } from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AnthropicStreamEvent,
  toAnthropicMessage,
  toAnthropicResponse,
  toAnthropicStreamEvents,
} from "../src/anthropic/index.js";
import { runAgent } from "../src/index.js";
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

const messages: ChatMessage[] = [{ role: "user", content: "hi" }];
const weatherTool = {
  type: "function" as const,
  function: { name: "get_weather", parameters: { type: "object" } },
};

function thinkingThenText(thinking: string, answer: string, signature: string): BackendEvent[] {
  return [
    { type: "reasoning-delta", delta: thinking },
    { type: "text-delta", delta: answer },
    {
      type: "finish",
      finishReason: "stop",
      usage: usage(10, 5),
      message: {
        role: "assistant",
        content: answer,
        providerData: {
          anthropic: {
            content: [
              { type: "thinking", thinking, signature },
              { type: "text", text: answer },
            ],
          },
        },
      },
    },
  ];
}

async function events(run: ReturnType<typeof runAgent>, toolActivity = false) {
  const out: AnthropicStreamEvent[] = [];
  for await (const event of toAnthropicStreamEvents(run, { model: "helper", toolActivity }))
    out.push(event);
  return out;
}

describe("toAnthropicMessage", () => {
  it("renders a message with msg_ id, the assistant as model and Anthropic's usage", async () => {
    const backend = new FakeBackend([
      text("Hello", usage(20, 4, { cachedTokens: 8, cacheCreationTokens: 2 })),
    ]);
    const message = await toAnthropicMessage(runAgent({ backend, model: "m", messages }), {
      model: "helper",
    });
    expect(message).toEqual({
      id: expect.stringMatching(/^msg_[A-Za-z0-9]{24}$/),
      type: "message",
      role: "assistant",
      model: "helper",
      content: [{ type: "text", text: "Hello" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: 10,
        output_tokens: 4,
        cache_read_input_tokens: 8,
        cache_creation_input_tokens: 2,
      },
    });
  });

  it("maps finish reasons to stop reasons", async () => {
    const length = await toAnthropicMessage(
      runAgent({
        backend: new FakeBackend([text("cut", usage(1, 1), "length")]),
        model: "m",
        messages,
      }),
      { model: "a" },
    );
    expect(length.stop_reason).toBe("max_tokens");
    const refusal = await toAnthropicMessage(
      runAgent({
        backend: new FakeBackend([text("no", usage(1, 1), "content_filter")]),
        model: "m",
        messages,
      }),
      { model: "a" },
    );
    expect(refusal.stop_reason).toBe("refusal");
  });

  it("reports the stop sequence an Anthropic backend says ended the turn, streamed and not", async () => {
    const stopped = (): BackendEvent[] => [
      { type: "text-delta", delta: "one, two" },
      {
        type: "finish",
        finishReason: "stop",
        usage: usage(3, 2),
        message: {
          role: "assistant",
          content: "one, two",
          providerData: {
            anthropic: { content: [{ type: "text", text: "one, two" }], stop_sequence: "three" },
          },
        },
      },
    ];
    const message = await toAnthropicMessage(
      runAgent({ backend: new FakeBackend([stopped()]), model: "m", messages }),
      { model: "a" },
    );
    expect(message).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "three" });
    const streamed = await events(
      runAgent({ backend: new FakeBackend([stopped()]), model: "m", messages }),
    );
    expect(streamed.find((e) => e.type === "message_delta")).toMatchObject({
      delta: { stop_reason: "stop_sequence", stop_sequence: "three" },
    });
  });

  it("ends with tool_use blocks when the model calls a client tool", async () => {
    const backend = new FakeBackend([
      calls([{ id: "toolu_1", name: "get_weather", args: { city: "Oslo" } }], {
        content: "Let me check.",
      }),
    ]);
    const run = runAgent({ backend, model: "m", messages, clientTools: [weatherTool] });
    const message = await toAnthropicMessage(run, { model: "a" });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      { type: "text", text: "Let me check." },
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
    ]);
  });

  it("sends the prompt's token count in message_start when the backend reports it before the answer", async () => {
    const backend = new FakeBackend([
      [
        { type: "usage", usage: usage(25, 1, { cachedTokens: 5 }) },
        ...text("Hi", usage(25, 3, { cachedTokens: 5 })),
      ],
    ]);
    const streamed = await events(runAgent({ backend, model: "m", messages }));
    expect(streamed[0]).toMatchObject({
      type: "message_start",
      message: { usage: { input_tokens: 20, cache_read_input_tokens: 5, output_tokens: 0 } },
    });
    expect(streamed.find((e) => e.type === "message_delta")).toMatchObject({
      usage: { input_tokens: 20, output_tokens: 3 },
    });
  });

  it("sends the prompt's token count in message_start when a hidden tool round came first", async () => {
    const backend = new FakeBackend([
      calls([{ id: "c1", name: "docs__search", args: { q: "x" } }], { usage: usage(40, 3) }),
      text("Found it", usage(60, 4)),
    ]);
    const toolset = new FakeToolset({
      docs__search: { server: "docs", tool: "search", run: () => "result text" },
    });
    const streamed = await events(runAgent({ backend, model: "m", messages, toolset }));
    expect(streamed[0]).toMatchObject({
      type: "message_start",
      message: { usage: { input_tokens: 40, output_tokens: 0 } },
    });
    expect(streamed.find((e) => e.type === "message_delta")).toMatchObject({
      usage: { input_tokens: 100, output_tokens: 7 },
    });
  });

  it("hides MCP rounds by default and shows them as mcp_tool_use/mcp_tool_result when asked", async () => {
    const script = () =>
      new FakeBackend([
        calls([{ id: "c1", name: "docs__search", args: { q: "x" } }]),
        text("Found it"),
      ]);
    const toolset = () =>
      new FakeToolset({
        docs__search: { server: "docs", tool: "search", run: () => "result text" },
      });
    const hidden = await toAnthropicMessage(
      runAgent({ backend: script(), model: "m", messages, toolset: toolset() }),
      { model: "a" },
    );
    expect(hidden.content).toEqual([{ type: "text", text: "Found it" }]);
    const shown = await toAnthropicMessage(
      runAgent({ backend: script(), model: "m", messages, toolset: toolset() }),
      { model: "a", toolActivity: true },
    );
    expect(shown.content).toEqual([
      { type: "mcp_tool_use", id: "c1", name: "search", server_name: "docs", input: { q: "x" } },
      {
        type: "mcp_tool_result",
        tool_use_id: "c1",
        is_error: false,
        content: [{ type: "text", text: "result text" }],
      },
      { type: "text", text: "Found it" },
    ]);
  });

  it("puts the signature an Anthropic backend kept on the streamed thinking block", async () => {
    const backend = new FakeBackend([thinkingThenText("Hmm.", "Yes.", "sig-1")]);
    const message = await toAnthropicMessage(runAgent({ backend, model: "m", messages }), {
      model: "a",
    });
    expect(message.content).toEqual([
      { type: "thinking", thinking: "Hmm.", signature: "sig-1" },
      { type: "text", text: "Yes." },
    ]);
  });

  it("rejects with the run's error", async () => {
    const backend = new FakeBackend([
      failing(new UpstreamError({ upstreamStatus: 429, message: "slow down" })),
    ]);
    await expect(
      toAnthropicMessage(runAgent({ backend, model: "m", messages }), { model: "a" }),
    ).rejects.toMatchObject({ status: 429 });
  });
});

describe("toAnthropicStreamEvents", () => {
  it("sends Anthropic's event sequence", async () => {
    const backend = new FakeBackend([text("Hello", usage(10, 5))]);
    const out = await events(runAgent({ backend, model: "m", messages }));
    expect(out.map((e) => e.type)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(out[1]).toEqual({
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    });
    expect(out[3]).toEqual({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "Hel" },
    });
    expect(out[6]).toMatchObject({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { input_tokens: 10, output_tokens: 5 },
    });
  });

  it("streams thinking, then text, as separate blocks; a client call as input_json_delta", async () => {
    const backend = new FakeBackend([
      [
        { type: "reasoning-delta", delta: "think" },
        ...calls([{ id: "toolu_9", name: "get_weather", args: { city: "Rome" } }], {
          content: "ok",
        }),
      ],
    ]);
    const out = await events(
      runAgent({ backend, model: "m", messages, clientTools: [weatherTool] }),
    );
    const starts = out.flatMap((e) => (e.type === "content_block_start" ? [e.content_block] : []));
    expect(starts).toEqual([
      { type: "thinking", thinking: "", signature: "" },
      { type: "text", text: "" },
      { type: "tool_use", id: "toolu_9", name: "get_weather", input: {} },
    ]);
    expect(out).toContainEqual({
      type: "content_block_delta",
      index: 2,
      delta: { type: "input_json_delta", partial_json: '{"city":"Rome"}' },
    });
    expect(out.at(-2)).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });

  it("closes a thinking block with its signature_delta when the backend signs the reasoning", async () => {
    const backend = new FakeBackend([
      [
        { type: "reasoning-delta", delta: "hmm" },
        { type: "reasoning-delta", delta: "", signature: "sig-9" },
        ...text("Yes"),
      ],
    ]);
    const out = await events(runAgent({ backend, model: "m", messages }));
    const thinking = out.filter(
      (e) => (e.type === "content_block_delta" || e.type === "content_block_stop") && e.index === 0,
    );
    expect(thinking).toEqual([
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hmm" } },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "signature_delta", signature: "sig-9" },
      },
      { type: "content_block_stop", index: 0 },
    ]);
  });

  it("ends with an error event, and no message_stop, when the run fails after the first byte", async () => {
    const backend = new FakeBackend([
      failing(new UpstreamError({ upstreamStatus: 529, message: "Overloaded" }), [
        { type: "text-delta", delta: "part" },
      ]),
    ]);
    const out = await events(runAgent({ backend, model: "m", messages }));
    expect(out.at(-1)).toEqual({
      type: "error",
      error: { type: "api_error", message: expect.any(String) },
    });
    expect(out.map((e) => e.type)).not.toContain("message_stop");
  });
});

describe("toAnthropicResponse", () => {
  it("sends ping events while a tool runs, through the shared SSE writer", async () => {
    // The tool answers only once the client has read a ping: one is sent while it runs.
    const pinged = deferred();
    const toolset = new FakeToolset({
      slow: {
        run: async () => {
          await pinged.promise;
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
    const response = await toAnthropicResponse(run, { model: "a", stream: true, keepAliveMs: 50 });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let body = "";
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      body += next.value;
      // No block has started before the tool round, so a ping here can only be the keep-alive.
      if (!body.includes("content_block_start") && body.includes("event: ping\n")) pinged.resolve();
    }
    expect(body.indexOf("event: ping")).toBeLessThan(body.indexOf("content_block_start"));
    expect(body.trimEnd().endsWith('event: message_stop\ndata: {"type":"message_stop"}')).toBe(
      true,
    );
  });

  it("answers an early failure with the status and Anthropic's error body", async () => {
    const backend = new FakeBackend([
      failing(new UpstreamError({ upstreamStatus: 429, message: "slow down", retryAfter: 3 })),
    ]);
    const response = await toAnthropicResponse(runAgent({ backend, model: "m", messages }), {
      model: "a",
      stream: true,
      requestId: "req-1",
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(await response.json()).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: expect.stringContaining("slow down") },
      request_id: "req-1",
    });
  });
});

/** The gateway in miniature, as a user's own app would serve a run with the renderer. */
function serve(
  server: TestServer,
  script: () => ScriptStep[],
  toolset?: () => FakeToolset,
  toolActivity = false,
) {
  server.setHandler(async (body) => {
    const backend = new FakeBackend(script());
    const run = runAgent({
      backend,
      model: "provider-model",
      messages: (body.messages as Array<{ role: "user"; content: string }>).map((m) => ({
        role: m.role,
        content: typeof m.content === "string" ? m.content : "",
      })),
      toolset: toolset?.(),
    });
    return toAnthropicResponse(run, {
      model: String(body.model),
      stream: body.stream === true,
      toolActivity,
    });
  });
}

describe("with the official Anthropic SDK", () => {
  let server: TestServer;
  let client: Anthropic;
  beforeAll(async () => {
    server = await startServer();
    client = new Anthropic({
      apiKey: "k",
      baseURL: server.baseURL.replace(/\/v1$/, ""),
      maxRetries: 0,
    });
  });
  afterAll(() => server.close());

  it("messages.create and messages.stream read the same run", async () => {
    const script = () => [thinkingThenText("Let me think.", "Four.", "sig-x")];
    serve(server, script);
    const request = {
      model: "helper",
      max_tokens: 100,
      messages: [{ role: "user" as const, content: "2+2?" }],
    };
    const created = await client.messages.create(request);
    expect(created.content).toEqual([
      { type: "thinking", thinking: "Let me think.", signature: "sig-x" },
      { type: "text", text: "Four." },
    ]);
    const stream = client.messages.stream(request);
    const texts: string[] = [];
    stream.on("text", (delta) => texts.push(delta));
    const streamed = await stream.finalMessage();
    expect(texts.join("")).toBe("Four.");
    expect(streamed.content.map((b) => b.type)).toEqual(["thinking", "text"]);
    expect(streamed.stop_reason).toBe("end_turn");
    expect(streamed.model).toBe("helper");
  });

  it("messages.stream carries mcp_tool_use / mcp_tool_result blocks into the final message", async () => {
    serve(
      server,
      () => [calls([{ id: "c7", name: "docs__search", args: { q: "sdk" } }]), text("Found")],
      () => new FakeToolset({ docs__search: { server: "docs", tool: "search", run: () => "hit" } }),
      true,
    );
    const final = await client.messages
      .stream({ model: "helper", max_tokens: 10, messages: [{ role: "user", content: "find" }] })
      .finalMessage();
    expect(final.content as unknown[]).toEqual([
      { type: "mcp_tool_use", id: "c7", name: "search", server_name: "docs", input: { q: "sdk" } },
      {
        type: "mcp_tool_result",
        tool_use_id: "c7",
        is_error: false,
        content: [{ type: "text", text: "hit" }],
      },
      { type: "text", text: "Found" },
    ]);
  });

  it("shows an early failure as the SDK's APIError with Anthropic's type", async () => {
    serve(server, () => [
      failing(new UpstreamError({ upstreamStatus: 429, message: "slow down" })),
    ]);
    const error = await client.messages
      .create({ model: "helper", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(429);
    expect((error as APIError).error).toMatchObject({
      type: "error",
      error: { type: "rate_limit_error" },
    });
  });

  it("aborts the run when the client goes away mid-stream", async () => {
    const aborted = deferred();
    const toolset = () =>
      new FakeToolset({
        slow: {
          run: (_args, signal) =>
            new Promise((_, reject) => {
              signal?.addEventListener("abort", () => {
                aborted.resolve();
                reject(signal.reason);
              });
            }),
        },
      });
    serve(
      server,
      () => [[{ type: "text-delta", delta: "wait " }, ...calls([{ name: "slow" }])]],
      toolset,
    );
    const stream = client.messages.stream({
      model: "helper",
      max_tokens: 10,
      messages: [{ role: "user", content: "x" }],
    });
    const settled = stream.finalMessage().catch((error: unknown) => error);
    await new Promise<void>((resolve) => stream.on("text", () => resolve()));
    stream.abort();
    expect((await settled) as Error).toMatchObject({ name: "APIUserAbortError" });
    await aborted.promise;
  });
});
