import Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startScriptedUpstream } from "./server.js";
import type { ScriptedUpstream } from "./types.js";

let upstream: ScriptedUpstream;
afterEach(() => upstream?.close());

// The official SDK appends /v1/messages itself, so it takes the bare URL.
const clientFor = (up: ScriptedUpstream, apiKey = "sk-ant-test") =>
  new Anthropic({ apiKey, baseURL: up.url, maxRetries: 0, timeout: 10_000 });

const hello = [{ role: "user" as const, content: "hello there" }];
const base = { model: "claude-sonnet-4-5", max_tokens: 1024, messages: hello };

async function rawEvents(up: ScriptedUpstream, body: unknown) {
  const response = await fetch(`${up.anthropicBaseUrl}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const events = text
    .split("\n\n")
    .filter(Boolean)
    .map((frame) => {
      const [eventLine, dataLine] = frame.split("\n");
      return {
        event: eventLine!.replace(/^event: /, ""),
        data: JSON.parse(dataLine!.replace(/^data: /, "")),
      };
    });
  return { response, events };
}

describe("Anthropic wire", () => {
  it("answers a non-streaming request with a faithful message", async () => {
    upstream = await startScriptedUpstream({
      script: [
        {
          text: "Hi!",
          usage: {
            promptTokens: 100,
            completionTokens: 9,
            cachedTokens: 60,
            cacheCreationTokens: 30,
          },
        },
      ],
    });
    const message = await clientFor(upstream).messages.create(base);
    expect(message.id).toMatch(/^msg_01[A-Za-z0-9]{22}$/);
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Hi!" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: 10,
        cache_read_input_tokens: 60,
        cache_creation_input_tokens: 30,
        output_tokens: 9,
      },
    });
  });

  it("returns thinking with a signature, text and parallel tool_use blocks", async () => {
    upstream = await startScriptedUpstream({
      script: [
        {
          reasoning: "Two lookups are needed.",
          text: "Checking both.",
          toolCalls: [
            { name: "weather", arguments: { city: "Paris" } },
            { name: "demo__add", arguments: { a: 1, b: 2 }, id: "toolu_fixed" },
          ],
        },
      ],
    });
    const message = await clientFor(upstream).messages.create(base);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content.map((b) => b.type)).toEqual([
      "thinking",
      "text",
      "tool_use",
      "tool_use",
    ]);
    const [thinking, , first, second] = message.content;
    expect(thinking).toMatchObject({
      thinking: "Two lookups are needed.",
      signature: expect.stringMatching(/^[A-Za-z0-9+/]{40,}=*$/),
    });
    expect(first).toMatchObject({
      id: expect.stringMatching(/^toolu_01/),
      name: "weather",
      input: { city: "Paris" },
    });
    expect(second).toMatchObject({ id: "toolu_fixed", input: { a: 1, b: 2 } });
  });

  it("streams the full event sequence, which the SDK accumulates into the same message", async () => {
    const turn = {
      reasoning: "Let me think about this.",
      text: "Here you go.",
      toolCalls: [
        { name: "search", arguments: { query: "scripted upstream servers", limit: 5 } },
        { name: "demo__echo", arguments: { message: "hi" } },
      ],
      usage: { promptTokens: 40, completionTokens: 25, cachedTokens: 10 },
    };
    upstream = await startScriptedUpstream({ script: [turn, turn] });

    const stream = clientFor(upstream).messages.stream(base);
    const texts: string[] = [];
    stream.on("text", (delta) => texts.push(delta));
    const final = await stream.finalMessage();
    expect(texts).toEqual(["Here", " you", " go."]);
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content).toMatchObject([
      { type: "thinking", thinking: "Let me think about this.", signature: expect.any(String) },
      { type: "text", text: "Here you go." },
      { type: "tool_use", name: "search", input: { query: "scripted upstream servers", limit: 5 } },
      { type: "tool_use", name: "demo__echo", input: { message: "hi" } },
    ]);
    expect(final.usage).toMatchObject({
      input_tokens: 30,
      cache_read_input_tokens: 10,
      output_tokens: 25,
    });

    const { response, events } = await rawEvents(upstream, { ...base, stream: true });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("request-id")).toMatch(/^req_011C/);
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe("message_start");
    expect(names.slice(1, 3)).toEqual(["content_block_start", "ping"]);
    expect(names.slice(-2)).toEqual(["message_delta", "message_stop"]);
    expect(events[0]!.data.message).toMatchObject({
      content: [],
      stop_reason: null,
      usage: { input_tokens: 30 },
    });

    const deltasOf = (index: number) =>
      events
        .filter((e) => e.event === "content_block_delta" && e.data.index === index)
        .map((e) => e.data.delta);
    expect(deltasOf(0).at(-1)).toEqual({ type: "signature_delta", signature: expect.any(String) });
    expect(
      deltasOf(0)
        .slice(0, -1)
        .every((d) => d.type === "thinking_delta"),
    ).toBe(true);
    const json = deltasOf(2);
    expect(json.length).toBeGreaterThan(2);
    expect(json.every((d) => d.type === "input_json_delta")).toBe(true);
    expect(JSON.parse(json.map((d) => d.partial_json).join(""))).toEqual({
      query: "scripted upstream servers",
      limit: 5,
    });
    expect(events.filter((e) => e.event === "content_block_stop").map((e) => e.data.index)).toEqual(
      [0, 1, 2, 3],
    );
    expect(events.at(-2)!.data).toMatchObject({
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { output_tokens: 25 },
    });
  });

  it("signs the same thinking the same way, so round trips can be checked", async () => {
    upstream = await startScriptedUpstream({
      script: [{ reasoning: "same" }, { reasoning: "same" }, { reasoning: "other" }],
    });
    const client = clientFor(upstream);
    const signatures = [];
    for (let i = 0; i < 3; i++) {
      const message = await client.messages.create(base);
      const block = message.content[0];
      signatures.push(block?.type === "thinking" ? block.signature : undefined);
    }
    expect(signatures[0]).toBe(signatures[1]);
    expect(signatures[2]).not.toBe(signatures[0]);
  });

  it("maps finish reasons to stop reasons", async () => {
    upstream = await startScriptedUpstream({
      script: [
        { text: "cut", finishReason: "length" },
        { text: "", finishReason: "content_filter" },
      ],
    });
    const client = clientFor(upstream);
    expect((await client.messages.create(base)).stop_reason).toBe("max_tokens");
    expect((await client.messages.create(base)).stop_reason).toBe("refusal");
  });

  it("returns the scripted status with an Anthropic error body and retry-after", async () => {
    upstream = await startScriptedUpstream({ script: [{ status: 529, retryAfter: 3 }] });
    const error = (await clientFor(upstream)
      .messages.create(base)
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(529);
    expect(error.headers?.get("retry-after")).toBe("3");
    expect(error.error).toMatchObject({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
      request_id: expect.stringMatching(/^req_011C/),
    });
    expect(error.requestID).toBe((error.error as { request_id: string }).request_id);
  });

  it("checks x-api-key with Anthropic's 401 body", async () => {
    upstream = await startScriptedUpstream({ requireApiKey: "sk-ant-right" });
    const error = (await clientFor(upstream, "sk-ant-wrong")
      .messages.create(base)
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error.error).toMatchObject({
      error: { type: "authentication_error", message: "invalid x-api-key" },
    });
    const ok = await clientFor(upstream, "sk-ant-right").messages.create(base);
    expect(ok.content).toEqual([{ type: "text", text: "hello there" }]);

    const post = (headers: Record<string, string>) =>
      fetch(`${upstream.anthropicBaseUrl}/messages`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "anthropic-version": "2023-06-01",
          ...headers,
        },
        body: JSON.stringify(base),
      });
    expect((await post({ "x-api-key": "sk-ant-right" })).status).toBe(200);
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      type: "error",
      error: { type: "authentication_error", message: "x-api-key header is required" },
    });
  });

  it("rejects a request without max_tokens like the API does", async () => {
    upstream = await startScriptedUpstream();
    const error = (await clientFor(upstream)
      .messages.create({ model: "claude-sonnet-4-5", messages: hello } as unknown as typeof base)
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({
      error: { type: "invalid_request_error", message: "max_tokens: Field required" },
    });
  });

  it("records the request with its parsed body and headers", async () => {
    upstream = await startScriptedUpstream();
    await clientFor(upstream).messages.create({ ...base, system: "be brief" });
    expect(upstream.requests).toHaveLength(1);
    const [request] = upstream.requests;
    expect(request).toMatchObject({
      wire: "anthropic",
      path: "/v1/messages",
      body: { ...base, system: "be brief" },
    });
    expect(request!.headers.authorization).toBe("Bearer sk-ant-test");
    expect(request!.headers["anthropic-version"]).toBeDefined();
  });

  it("lists models in Anthropic's shape when asked with Anthropic headers", async () => {
    upstream = await startScriptedUpstream();
    const page = await clientFor(upstream).models.list();
    expect(page.data[0]).toMatchObject({ type: "model", id: expect.stringMatching(/^claude-/) });
  });
});
