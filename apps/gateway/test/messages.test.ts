import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { gatewayFor, json } from "./helpers/in-process.js";
import { answerWithToolResults } from "./helpers/upstream-turns.js";

/**
 * `POST /v1/messages` and its neighbours through `app.fetch`, in front of
 * scripted OpenAI- and Anthropic-wire upstreams: what the client gets back,
 * and what the upstream was sent.
 */

const PROXY_KEY = "proxy-key-messages";
let openai: ScriptedUpstream;
let anthropic: ScriptedUpstream;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  openai = await startScriptedUpstream();
  anthropic = await startScriptedUpstream();
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(async () => {
  await openai.close();
  await anthropic.close();
});

const EVERYTHING = join(import.meta.dirname, "..", "node_modules", ".bin", "mcp-server-everything");

function config(extra: Record<string, unknown> = {}) {
  return {
    proxy_api_keys: [PROXY_KEY],
    backends: [
      { name: "oa", kind: "openai", base_url: openai.openaiBaseUrl, api_key: "sk-oa-1234" },
      {
        name: "an",
        kind: "anthropic",
        base_url: anthropic.anthropicBaseUrl,
        api_key: "sk-an-1234",
      },
    ],
    mcp_servers: [{ name: "everything", transport: "stdio", command: EVERYTHING }],
    assistants: [
      { name: "oa-plain", backend: "oa", model: "gpt-x", system_prompt: "Be brief." },
      { name: "an-plain", backend: "an", model: "claude-x", description: "Claude, plain" },
      {
        name: "oa-tools",
        backend: "oa",
        model: "gpt-x",
        mcp_servers: ["everything"],
        tool_activity: true,
      },
    ],
    ...extra,
  };
}

async function open(extra: Record<string, unknown> = {}) {
  const gateway = await gatewayFor(config(extra));
  closers.push(() => gateway.close());
  return gateway;
}

const headers = { "x-api-key": PROXY_KEY, "anthropic-version": "2023-06-01" };

function post(body: unknown, extra: Record<string, string> = {}) {
  return json(body, { ...headers, ...extra });
}

async function anthropicError(response: Response) {
  const body = (await response.json()) as {
    type: string;
    error: { type: string; message: string };
  };
  expect(body.type).toBe("error");
  return body.error;
}

/** SSE frames as `[event, data]` pairs. */
async function frames(response: Response): Promise<Array<[string, Record<string, unknown>]>> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("event:"))
    .map((frame) => {
      const [eventLine, dataLine] = frame.split("\n");
      return [
        eventLine?.slice("event: ".length) ?? "",
        JSON.parse(dataLine?.slice("data: ".length) ?? "{}") as Record<string, unknown>,
      ];
    });
}

describe("POST /v1/messages", () => {
  it("answers in Anthropic's shape from an OpenAI-wire backend, which gets the request in its own", async () => {
    const gateway = await open();
    openai.enqueue({
      text: "Hi there",
      usage: { promptTokens: 30, completionTokens: 3, cachedTokens: 10 },
    });
    const response = await gateway.call(
      "/v1/messages",
      post({
        model: "oa-plain",
        max_tokens: 64,
        temperature: 0.5,
        stop_sequences: ["END"],
        metadata: { user_id: "u-1" },
        system: [{ type: "text", text: "You are terse." }],
        messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(await response.json()).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: "message",
      role: "assistant",
      model: "oa-plain",
      content: [{ type: "text", text: "Hi there" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: 20,
        output_tokens: 3,
        cache_read_input_tokens: 10,
        cache_creation_input_tokens: 0,
      },
    });
    const sent = openai.requests.at(-1)?.body;
    expect(sent).toMatchObject({
      model: "gpt-x",
      max_tokens: 64,
      temperature: 0.5,
      stop: ["END"],
      user: "u-1",
      // The client's system prompt replaces the assistant's, as on chat.
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: [{ type: "text", text: "Hello" }] },
      ],
    });
  });

  it("streams the real event sequence from an Anthropic-wire backend", async () => {
    const gateway = await open();
    anthropic.enqueue({ text: "Hello world", usage: { promptTokens: 12, completionTokens: 2 } });
    const response = await gateway.call(
      "/v1/messages",
      post({
        model: "an-plain",
        max_tokens: 32,
        stream: true,
        top_k: 5,
        messages: [{ role: "user", content: "Hi" }],
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const events = await frames(response);
    const names = events.map(([name]) => name);
    expect(names.slice(0, 3)).toEqual(["message_start", "content_block_start", "ping"]);
    expect(names.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    for (const [name, data] of events) expect(data.type).toBe(name);
    const text = events
      .filter(([name]) => name === "content_block_delta")
      .map(([, data]) => (data.delta as { text: string }).text)
      .join("");
    expect(text).toBe("Hello world");
    expect(events.at(-2)?.[1]).toMatchObject({
      delta: { stop_reason: "end_turn" },
      usage: { input_tokens: 12, output_tokens: 2 },
    });
    const sent = anthropic.requests.at(-1);
    expect(sent?.body).toMatchObject({ model: "claude-x", max_tokens: 32, top_k: 5, stream: true });
    expect(sent?.headers["x-api-key"]).toBe("sk-an-1234");
  });

  it("ends with tool_use blocks for the client's own tool, and takes its result back", async () => {
    const gateway = await open();
    const tools = [
      {
        name: "lookup_order",
        description: "Find an order",
        input_schema: { type: "object", properties: { id: { type: "string" } } },
      },
    ];
    anthropic.enqueue({
      toolCalls: [{ name: "lookup_order", arguments: { id: "A-1" }, id: "toolu_c1" }],
    });
    const first = await gateway.call(
      "/v1/messages",
      post({
        model: "an-plain",
        max_tokens: 100,
        tools,
        tool_choice: { type: "any", disable_parallel_tool_use: true },
        messages: [{ role: "user", content: "Where is A-1?" }],
      }),
    );
    const message = (await first.json()) as { stop_reason: string; content: unknown[] };
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      { type: "tool_use", id: "toolu_c1", name: "lookup_order", input: { id: "A-1" } },
    ]);
    expect(anthropic.requests.at(-1)?.body.tool_choice).toEqual({
      type: "any",
      disable_parallel_tool_use: true,
    });

    anthropic.enqueue({ text: "It ships today." });
    const second = await gateway.call(
      "/v1/messages",
      post({
        model: "an-plain",
        max_tokens: 100,
        tools,
        messages: [
          { role: "user", content: "Where is A-1?" },
          { role: "assistant", content: message.content },
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: "toolu_c1", content: "shipping" }],
          },
        ],
      }),
    );
    expect(second.status).toBe(200);
    const sent = anthropic.requests.at(-1)?.body;
    expect(sent.messages.at(-1)).toEqual({
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_c1", content: "shipping" }],
    });
  });

  it("sends thinking blocks back with their signatures to Anthropic, and drops them for OpenAI", async () => {
    const gateway = await open();
    const history = [
      { role: "user", content: "Think first" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Let me see.", signature: "sig-abc" },
          { type: "text", text: "Done." },
        ],
      },
      { role: "user", content: "Again" },
    ];
    anthropic.enqueue({ text: "ok" });
    const thinking = { type: "enabled", budget_tokens: 1024 };
    await gateway.call(
      "/v1/messages",
      post({ model: "an-plain", max_tokens: 2048, thinking, messages: history }),
    );
    const toAnthropic = anthropic.requests.at(-1)?.body;
    expect(toAnthropic.thinking).toEqual(thinking);
    expect(toAnthropic.messages[1]).toEqual({ role: "assistant", content: history[1]?.content });

    openai.enqueue({ text: "ok" });
    await gateway.call(
      "/v1/messages",
      post({ model: "oa-plain", max_tokens: 2048, thinking, messages: history }),
    );
    const toOpenAI = openai.requests.at(-1)?.body;
    expect(toOpenAI.thinking).toBeUndefined();
    expect(toOpenAI.messages[2]).toEqual({ role: "assistant", content: "Done." });
  });

  it("shows a server-side MCP round as mcp_tool_use/mcp_tool_result when tool_activity is on", async () => {
    const gateway = await open();
    openai.enqueue(
      { toolCalls: [{ name: "everything__echo", arguments: { message: "ping" }, id: "call_m1" }] },
      answerWithToolResults,
    );
    const response = await gateway.call(
      "/v1/messages",
      post({ model: "oa-tools", max_tokens: 100, messages: [{ role: "user", content: "echo" }] }),
    );
    const message = (await response.json()) as { content: Array<Record<string, unknown>> };
    expect(message.content[0]).toEqual({
      type: "mcp_tool_use",
      id: "call_m1",
      name: "echo",
      server_name: "everything",
      input: { message: "ping" },
    });
    expect(message.content[1]).toMatchObject({
      type: "mcp_tool_result",
      tool_use_id: "call_m1",
      is_error: false,
      content: [{ type: "text", text: expect.stringContaining("Echo: ping") }],
    });
    expect(message.content[2]).toMatchObject({
      type: "text",
      text: expect.stringContaining("ping"),
    });
  });
});

describe("bad input gets Anthropic's error shape and status", () => {
  const user = [{ role: "user", content: "x" }];

  it.each([
    ["missing max_tokens", { model: "oa-plain", messages: user }, /max_tokens: Field required/],
    [
      "an empty user turn",
      { model: "oa-plain", max_tokens: 10, messages: [{ role: "user", content: [] }] },
      /messages\.0: all messages must have non-empty content/,
    ],
    [
      "a tool_result without a tool_use before it",
      {
        model: "oa-plain",
        max_tokens: 10,
        messages: [
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: "toolu_nope", content: "x" }],
          },
        ],
      },
      /tool_use_id.*toolu_nope/,
    ],
    [
      "an unknown block type",
      {
        model: "oa-plain",
        max_tokens: 10,
        messages: [{ role: "user", content: [{ type: "container_upload", file_id: "f" }] }],
      },
      /messages\.0\.content\.0\.type: .*container_upload/,
    ],
    [
      "an image over 5 MB",
      {
        model: "oa-plain",
        max_tokens: 10,
        messages: [
          {
            role: "user",
            content: [
              {
                type: "image",
                source: { type: "base64", media_type: "image/png", data: "A".repeat(7_000_001) },
              },
            ],
          },
        ],
      },
      /image exceeds 5 MB maximum/,
    ],
    [
      "a server tool",
      {
        model: "oa-plain",
        max_tokens: 10,
        messages: user,
        tools: [{ type: "web_search_20250305", name: "web_search" }],
      },
      /tools\.0: server tool type/,
    ],
  ])("400 invalid_request_error for %s", async (_name, body, message) => {
    const gateway = await open({ server: { body_limit_bytes: 16 * 1024 * 1024 } });
    const before = openai.requests.length;
    const response = await gateway.call("/v1/messages", post(body));
    expect(response.status).toBe(400);
    const error = await anthropicError(response);
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toMatch(message);
    expect(openai.requests.length).toBe(before);
  });

  it("413 request_too_large for a body over the limit", async () => {
    const gateway = await open({ server: { body_limit_bytes: 1024 } });
    const response = await gateway.call(
      "/v1/messages",
      post({
        model: "oa-plain",
        max_tokens: 1,
        messages: [{ role: "user", content: "y".repeat(4096) }],
      }),
    );
    expect(response.status).toBe(413);
    expect((await anthropicError(response)).type).toBe("request_too_large");
  });

  it("401 authentication_error without a key, and takes the key as x-api-key", async () => {
    const gateway = await open();
    const body = { model: "oa-plain", max_tokens: 1, messages: user };
    const anonymous = await gateway.call(
      "/v1/messages",
      json(body, { "anthropic-version": "2023-06-01" }),
    );
    expect(anonymous.status).toBe(401);
    expect((await anthropicError(anonymous)).type).toBe("authentication_error");
    openai.enqueue({ text: "ok" });
    expect((await gateway.call("/v1/messages", post(body))).status).toBe(200);
  });

  it("404 not_found_error for an unknown assistant", async () => {
    const gateway = await open();
    const response = await gateway.call(
      "/v1/messages",
      post({ model: "nobody", max_tokens: 1, messages: user }),
    );
    expect(response.status).toBe(404);
    expect((await anthropicError(response)).type).toBe("not_found_error");
  });

  it("a non-JSON body is a 4xx in Anthropic's shape", async () => {
    const gateway = await open();
    const response = await gateway.call("/v1/messages", {
      method: "POST",
      headers: { ...headers, "content-type": "text/plain" },
      body: "hello",
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect((await anthropicError(response)).type).toBe("invalid_request_error");
  });

  it("an upstream failure after the first byte is an error event with no message_stop", async () => {
    const gateway = await open();
    anthropic.enqueue({
      text: "a b c d e f g h",
      errorEventAfterChunks: 6,
      errorType: "overloaded_error",
    });
    const response = await gateway.call(
      "/v1/messages",
      post({ model: "an-plain", max_tokens: 10, stream: true, messages: user }),
    );
    expect(response.status).toBe(200);
    const events = await frames(response);
    expect(events.at(-1)?.[0]).toBe("error");
    expect(events.at(-1)?.[1]).toMatchObject({
      type: "error",
      error: { type: expect.any(String) },
    });
    expect(events.map(([name]) => name)).not.toContain("message_stop");
  });
});

describe("CORS", () => {
  it("lets a browser send the Anthropic SDK's headers", async () => {
    const gateway = await open({ server: { cors_origins: ["http://app.example"] } });
    const response = await gateway.call("/v1/messages", {
      method: "OPTIONS",
      headers: {
        origin: "http://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "anthropic-version,x-api-key,content-type",
      },
    });
    expect(response.status).toBe(204);
    const allowed = response.headers.get("access-control-allow-headers") ?? "";
    for (const header of ["anthropic-version", "x-api-key", "content-type"])
      expect(allowed.split(",")).toContain(header);
  });
});

describe("GET /v1/models", () => {
  it("answers in Anthropic's list shape when the request carries anthropic-version", async () => {
    const gateway = await open();
    const list = await (await gateway.call("/v1/models", { headers })).json();
    expect(list).toMatchObject({ has_more: false, first_id: "oa-plain", last_id: "oa-tools" });
    expect(list.data).toContainEqual({
      type: "model",
      id: "an-plain",
      display_name: "Claude, plain",
      created_at: "1970-01-01T00:00:00Z",
    });
    const one = await (await gateway.call("/v1/models/an-plain", { headers })).json();
    expect(one).toMatchObject({ type: "model", id: "an-plain" });
    const openaiShape = await (
      await gateway.call("/v1/models", { headers: { authorization: `Bearer ${PROXY_KEY}` } })
    ).json();
    expect(openaiShape.object).toBe("list");
  });
});

describe("POST /v1/messages/count_tokens", () => {
  it("estimates with a tokenizer for an OpenAI-wire backend, and says so", async () => {
    const gateway = await open();
    const count = async (text: string) => {
      const response = await gateway.call(
        "/v1/messages/count_tokens",
        post({ model: "oa-plain", messages: [{ role: "user", content: text }] }),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("x-aiproxy-token-count")).toBe("estimate");
      return ((await response.json()) as { input_tokens: number }).input_tokens;
    };
    const short = await count("hello");
    const long = await count("hello ".repeat(200));
    expect(short).toBeGreaterThan(0);
    expect(long - short).toBeGreaterThanOrEqual(150);
    expect(long - short).toBeLessThanOrEqual(250);
  });

  it("forwards to an Anthropic backend's count_tokens with the provider's model", async () => {
    const received: Array<{
      url: string;
      headers: IncomingMessage["headers"];
      body: Record<string, unknown>;
    }> = [];
    const server = createServer(async (req, res) => {
      let text = "";
      for await (const chunk of req) text += chunk;
      received.push({ url: req.url ?? "", headers: req.headers, body: JSON.parse(text) });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ input_tokens: 42 }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const gateway = await open({
      backends: [
        { name: "oa", kind: "openai", base_url: openai.openaiBaseUrl, api_key: "sk-oa-1234" },
        {
          name: "an",
          kind: "anthropic",
          base_url: `http://127.0.0.1:${port}/v1`,
          api_key: "sk-an-1234",
        },
      ],
      assistants: [{ name: "an-plain", backend: "an", model: "claude-x", system_prompt: "Sys." }],
    });
    const response = await gateway.call(
      "/v1/messages/count_tokens",
      post(
        { model: "an-plain", messages: [{ role: "user", content: "count me" }] },
        { "anthropic-beta": "token-counting-2024-11-01" },
      ),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ input_tokens: 42 });
    expect(received[0]?.headers["anthropic-beta"]).toBe("token-counting-2024-11-01");
    expect(received).toHaveLength(1);
    expect(received[0]?.url).toBe("/v1/messages/count_tokens");
    expect(received[0]?.headers["x-api-key"]).toBe("sk-an-1234");
    expect(received[0]?.body).toEqual({
      model: "claude-x",
      system: "Sys.",
      messages: [{ role: "user", content: "count me" }],
    });
  });
});
