import { trailingToolResults } from "@aiproxy/testkit";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayProcess } from "./helpers/gateway-process.js";
import {
  startTwoWireGateway,
  stopTwoWireGateway,
  type TwoWireGateway,
} from "./helpers/two-wire-gateway.js";
import { answerWithToolResults } from "./helpers/upstream-turns.js";

/**
 * The gateway as a real process, reached by the official Anthropic SDK, in
 * front of scripted OpenAI- and Anthropic-wire upstreams with a real MCP
 * server from npm attached. Each test checks what the upstream received.
 */

const UPSTREAM_KEY = "sk-upstream-secret-5678";
const PROXY_KEY = "proxy-key-anthropic-sdk";

let started: TwoWireGateway | undefined;
let upstreams: TwoWireGateway["upstreams"];
let gateway: GatewayProcess;
let client: Anthropic;

beforeAll(async () => {
  started = await startTwoWireGateway({ proxyKey: PROXY_KEY, upstreamKey: UPSTREAM_KEY });
  ({ upstreams, gateway } = started);
  // The SDK sends the key as x-api-key, with anthropic-version, as against api.anthropic.com.
  client = new Anthropic({ apiKey: PROXY_KEY, baseURL: gateway.url, maxRetries: 0 });
}, 60_000);

afterAll(() => stopTwoWireGateway(started));

const weather: Anthropic.Tool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe.each([
  ["openai", "via-openai", "gpt-test"],
  ["anthropic", "via-anthropic", "claude-test"],
] as const)("@anthropic-ai/sdk against an %s-wire backend", (wire, assistant, providerModel) => {
  const upstream = () => upstreams[wire];

  it("messages.create: a text answer, the assistant as model, the provider model upstream", async () => {
    upstream().enqueue({
      text: "Hello from upstream",
      usage: { promptTokens: 9, completionTokens: 3 },
    });
    const message = await client.messages.create({
      model: assistant,
      max_tokens: 50,
      system: "Be kind.",
      messages: [{ role: "user", content: "Say hello" }],
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.model).toBe(assistant);
    expect(message.content).toEqual([{ type: "text", text: "Hello from upstream" }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage).toMatchObject({ input_tokens: 9, output_tokens: 3 });
    const sent = upstream().requests.at(-1);
    expect(sent?.body.model).toBe(providerModel);
    expect(JSON.stringify(sent)).not.toContain(PROXY_KEY);
    if (wire === "anthropic") {
      expect(sent?.body).toMatchObject({ system: "Be kind.", max_tokens: 50 });
      expect(sent?.headers["x-api-key"]).toBe(UPSTREAM_KEY);
    } else {
      expect(sent?.body.messages[0]).toEqual({ role: "system", content: "Be kind." });
      expect(sent?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    }
  });

  it("messages.stream: text deltas and a final message", async () => {
    upstream().enqueue({ text: "one two three" });
    const stream = client.messages.stream({
      model: assistant,
      max_tokens: 50,
      messages: [{ role: "user", content: "Count" }],
    });
    const deltas: string[] = [];
    stream.on("text", (delta) => deltas.push(delta));
    const final = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe("one two three");
    expect(final.content).toEqual([{ type: "text", text: "one two three" }]);
    expect(upstream().requests.at(-1)?.body.stream).toBe(true);
  });

  it("a client tool round trip: tool_use out, tool_result back in", async () => {
    upstream().enqueue({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] });
    const first = await client.messages.create({
      model: assistant,
      max_tokens: 100,
      tools: [weather],
      messages: [{ role: "user", content: "Weather in Oslo?" }],
    });
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((block) => block.type === "tool_use");
    expect(use).toMatchObject({ name: "get_weather", input: { city: "Oslo" } });
    // The assistant's MCP tools are offered beside the client's.
    const offered = JSON.stringify(upstream().requests.at(-1)?.body.tools);
    expect(offered).toContain("get_weather");
    expect(offered).toContain("everything__echo");

    upstream().enqueue(answerWithToolResults);
    const stream = client.messages.stream({
      model: assistant,
      max_tokens: 100,
      tools: [weather],
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: use?.id ?? "", content: "sunny, 21 C" }],
        },
      ],
    });
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: "text", text: "Tool said: sunny, 21 C" }]);
    const request = upstream().requests.at(-1);
    expect(trailingToolResults(request!).map((r) => r.text)).toEqual(["sunny, 21 C"]);
  });

  it("a server-side MCP round runs in the gateway and stays invisible", async () => {
    upstream().enqueue(
      { toolCalls: [{ name: "everything__echo", arguments: { message: "via mcp" } }] },
      answerWithToolResults,
    );
    const before = upstream().requests.length;
    const stream = client.messages.stream({
      model: assistant,
      max_tokens: 100,
      messages: [{ role: "user", content: "Echo via mcp" }],
    });
    const final = await stream.finalMessage();
    expect(upstream().requests.length - before).toBe(2);
    expect(trailingToolResults(upstream().requests.at(-1)!)[0]?.text).toContain("Echo: via mcp");
    expect(final.content).toEqual([{ type: "text", text: "Tool said: Echo: via mcp" }]);
    expect(final.stop_reason).toBe("end_turn");
  });

  it("thinking: the model's reasoning arrives as a thinking block before the text", async () => {
    upstream().enqueue({ reasoning: "Two plus two.", text: "Four." });
    const stream = client.messages.stream({
      model: assistant,
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "2+2?" }],
    });
    const thinking: string[] = [];
    stream.on("thinking", (delta) => thinking.push(delta));
    const final = await stream.finalMessage();
    expect(thinking.join("")).toBe("Two plus two.");
    expect(final.content.map((block) => block.type)).toEqual(["thinking", "text"]);
    const block = final.content[0];
    const signature = block?.type === "thinking" ? block.signature : undefined;
    // Anthropic signs its thinking, and the signature streams as a signature_delta; OpenAI's wire has none.
    if (wire === "anthropic") expect(signature).toMatch(/.+/);
    else expect(signature).toBe("");
    const sent = upstream().requests.at(-1)?.body;
    // Forwarded where the wire has it; an OpenAI-compatible backend has no such field.
    if (wire === "anthropic")
      expect(sent.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    else expect(sent.thinking).toBeUndefined();
  });
});

describe("@anthropic-ai/sdk, Anthropic-specific", () => {
  it("messages.create returns thinking with the upstream's signature, which goes back unchanged", async () => {
    const upstream = upstreams.anthropic;
    upstream.enqueue({ reasoning: "Let me think.", text: "Done." });
    const first = await client.messages.create({
      model: "via-anthropic",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "Think" }],
    });
    const block = first.content[0];
    expect(block?.type).toBe("thinking");
    const signature = block?.type === "thinking" ? block.signature : "";
    expect(signature).not.toBe("");

    upstream.enqueue({ text: "Again." });
    await client.messages.create({
      model: "via-anthropic",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [
        { role: "user", content: "Think" },
        { role: "assistant", content: first.content },
        { role: "user", content: "More" },
      ],
    });
    expect(upstream.requests.at(-1)?.body.messages[1].content[0]).toEqual({
      type: "thinking",
      thinking: "Let me think.",
      signature,
    });
  });

  it("a bad request is the SDK's BadRequestError, a wrong key its AuthenticationError", async () => {
    await expect(
      client.messages.create({
        model: "via-openai",
        max_tokens: 10,
        messages: [
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "x" }],
          },
        ],
      }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    const stranger = new Anthropic({ apiKey: "wrong", baseURL: gateway.url, maxRetries: 0 });
    await expect(
      stranger.messages.create({
        model: "via-openai",
        max_tokens: 10,
        messages: [{ role: "user", content: "x" }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it("a client that goes away aborts the upstream call, streamed or not", async () => {
    const upstream = upstreams.anthropic;
    // Stalls mid-stream: only the client leaving can end the upstream call.
    upstream.enqueue({ text: "a b c d e f g h i j k l", stallAfterChunks: 4 });
    const stream = client.messages.stream({
      model: "via-anthropic",
      max_tokens: 10,
      messages: [{ role: "user", content: "x" }],
    });
    const settled = stream.finalMessage().catch((error: unknown) => error);
    await new Promise<void>((resolve) => stream.once("text", () => resolve()));
    expect(upstream.activeRequests()).toBe(1);
    stream.abort();
    expect(await settled).toBeInstanceOf(Anthropic.APIUserAbortError);
    await upstream.waitForIdle(1000);

    // Before the first byte: the upstream holds its answer until the client is gone.
    const waiting = new Promise<void>((resolve) => {
      upstream.enqueue({ text: "late", hold: new Promise(() => {}), onWait: resolve });
    });
    const controller = new AbortController();
    const created = client.messages
      .create(
        { model: "via-anthropic", max_tokens: 10, messages: [{ role: "user", content: "y" }] },
        { signal: controller.signal },
      )
      .catch((error: unknown) => error);
    await waiting;
    controller.abort();
    expect(await created).toBeInstanceOf(Anthropic.APIUserAbortError);
    await upstream.waitForIdle(1000);
    expect(upstream.activeRequests()).toBe(0);
  });

  it("models.list lists the assistants; one log line per run names the caller", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id).sort()).toEqual(["via-anthropic", "via-openai"]);
    const line = gateway.logs.find((entry) => entry.msg === "messages" && entry.steps === 2);
    expect(line).toMatchObject({ caller: "static_keys", assistant: expect.any(String) });
  });
});
