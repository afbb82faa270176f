import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { startScriptedUpstream } from "./server.js";
import type { ScriptedUpstream } from "./types.js";

let upstream: ScriptedUpstream;
afterEach(() => upstream?.close());

const clientFor = (up: ScriptedUpstream, apiKey = "sk-test") =>
  new OpenAI({ apiKey, baseURL: up.openaiBaseUrl, maxRetries: 0, timeout: 10_000 });

const hello = [{ role: "user" as const, content: "hello there" }];

describe("OpenAI wire", () => {
  it("answers a non-streaming request with a faithful chat.completion", async () => {
    upstream = await startScriptedUpstream({
      script: [
        {
          text: "Hi! How can I help?",
          usage: { promptTokens: 12, completionTokens: 7, cachedTokens: 4 },
        },
      ],
    });
    const completion = await clientFor(upstream).chat.completions.create({
      model: "gpt-4o-mini",
      messages: hello,
    });
    expect(completion.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("gpt-4o-mini");
    expect(Math.abs(completion.created - Date.now() / 1000)).toBeLessThan(60);
    expect(completion.system_fingerprint).toMatch(/^fp_[0-9a-f]{10}$/);
    expect(completion.choices).toEqual([
      {
        index: 0,
        message: {
          role: "assistant",
          content: "Hi! How can I help?",
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: "stop",
      },
    ]);
    expect(completion.usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: 7,
      total_tokens: 19,
      prompt_tokens_details: { cached_tokens: 4 },
    });
  });

  it("streams text word by word and sends usage last when include_usage is set", async () => {
    upstream = await startScriptedUpstream({
      script: [
        { text: "one two three", usage: { promptTokens: 5, completionTokens: 3, cachedTokens: 2 } },
      ],
    });
    const stream = await clientFor(upstream).chat.completions.create({
      model: "gpt-4o-mini",
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: "assistant", content: "" });
    const contents = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? ""));
    expect(contents.filter((c) => c !== "")).toEqual(["one", " two", " three"]);
    const finishing = chunks.at(-2)!;
    expect(finishing.choices[0]!.finish_reason).toBe("stop");
    expect(finishing.usage).toBeNull();
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
      prompt_tokens: 5,
      completion_tokens: 3,
      total_tokens: 8,
      prompt_tokens_details: { cached_tokens: 2 },
    });
  });

  it("omits the usage chunk when include_usage is not set", async () => {
    upstream = await startScriptedUpstream({ script: [{ text: "short" }] });
    const stream = await clientFor(upstream).chat.completions.create({
      model: "m",
      messages: hello,
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.every((c) => !("usage" in c))).toBe(true);
  });

  it("streams parallel tool calls with arguments split across deltas", async () => {
    upstream = await startScriptedUpstream({
      script: [
        {
          toolCalls: [
            { name: "weather__lookup", arguments: { city: "Paris", units: "metric" } },
            { name: "demo__add", arguments: { a: 2, b: 3 }, id: "call_fixed" },
          ],
        },
      ],
    });
    const stream = await clientFor(upstream).chat.completions.create({
      model: "m",
      messages: hello,
      stream: true,
    });
    const deltas = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        deltas.push(...(choice.delta.tool_calls ?? []));
        finish = choice.finish_reason ?? finish;
      }
    }
    expect(finish).toBe("tool_calls");
    const first = deltas.filter((d) => d.index === 0);
    expect(first[0]).toMatchObject({ id: expect.stringMatching(/^call_/), type: "function" });
    expect(first[0]!.function).toEqual({ name: "weather__lookup", arguments: "" });
    expect(first.length).toBeGreaterThan(3);
    expect(first.slice(1).every((d) => d.id === undefined && d.function?.name === undefined)).toBe(
      true,
    );
    const joined = first.map((d) => d.function?.arguments ?? "").join("");
    expect(JSON.parse(joined)).toEqual({ city: "Paris", units: "metric" });
    expect(deltas.find((d) => d.index === 1)!.id).toBe("call_fixed");
  });

  it("accumulates into a valid completion with the SDK's stream helper", async () => {
    upstream = await startScriptedUpstream({
      script: [
        {
          text: "Let me check.",
          toolCalls: [
            { name: "a", arguments: { x: 1 } },
            { name: "b", arguments: '{"y": [1, 2, 3]}' },
          ],
          textChunkSize: 3,
        },
      ],
    });
    const runner = clientFor(upstream).chat.completions.stream({ model: "m", messages: hello });
    const final = await runner.finalChatCompletion();
    const message = final.choices[0]!.message;
    expect(message.content).toBe("Let me check.");
    expect(
      message.tool_calls?.map(
        (c) => c.type === "function" && [c.function.name, c.function.arguments],
      ),
    ).toEqual([
      ["a", '{"x":1}'],
      ["b", '{"y": [1, 2, 3]}'],
    ]);
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
  });

  it("sends reasoning as reasoning_content, streamed and not", async () => {
    upstream = await startScriptedUpstream({
      script: [
        { reasoning: "The user greets me.", text: "Hello!" },
        { reasoning: "Think step by step.", text: "Done." },
      ],
    });
    const client = clientFor(upstream);
    const completion = await client.chat.completions.create({ model: "m", messages: hello });
    const message = completion.choices[0]!.message as { reasoning_content?: string };
    expect(message.reasoning_content).toBe("The user greets me.");
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      model: "m",
      messages: hello,
      stream: true,
    });
    let reasoning = "";
    let text = "";
    let reasoningBeforeText = true;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string };
      if (delta?.reasoning_content) {
        reasoning += delta.reasoning_content;
        if (text !== "") reasoningBeforeText = false;
      }
      text += delta?.content ?? "";
    }
    expect(reasoning).toBe("Think step by step.");
    expect(text).toBe("Done.");
    expect(reasoningBeforeText).toBe(true);
  });

  it("returns the scripted status with an OpenAI error body and retry-after", async () => {
    upstream = await startScriptedUpstream({
      script: [{ status: 429, retryAfter: 7, headers: { "x-ratelimit-remaining-requests": "0" } }],
    });
    const error = await clientFor(upstream)
      .chat.completions.create({ model: "m", messages: hello })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(429);
    expect(apiError.headers?.get("retry-after")).toBe("7");
    expect(apiError.headers?.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(apiError.error).toMatchObject({
      type: "requests",
      code: "rate_limit_exceeded",
      param: null,
    });
    expect(apiError.requestID).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("uses the scripted error message and type", async () => {
    upstream = await startScriptedUpstream({
      script: [
        { status: 400, errorMessage: "context too long", errorType: "invalid_request_error" },
      ],
    });
    const error = (await clientFor(upstream)
      .chat.completions.create({ model: "m", messages: hello, stream: true })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(400);
    expect(error.error).toEqual({
      message: "context too long",
      type: "invalid_request_error",
      param: null,
      code: null,
    });
  });

  it("requires the API key when asked to, with OpenAI's 401 body and no echo of the key", async () => {
    upstream = await startScriptedUpstream({ requireApiKey: "sk-right-key-1234" });
    const wrong = (await clientFor(upstream, "sk-wrong-key-9876")
      .chat.completions.create({ model: "m", messages: hello })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(wrong.error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });
    expect(JSON.stringify(wrong.error)).not.toContain("sk-wrong-key");

    const missing = await fetch(`${upstream.openaiBaseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: hello }),
    });
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.message).toMatch(/didn't provide an API key/);

    const ok = await clientFor(upstream, "sk-right-key-1234").chat.completions.create({
      model: "m",
      messages: hello,
    });
    expect(ok.choices[0]!.message.content).toBe("hello there");
    expect(upstream.requests).toHaveLength(3);
  });

  it("rejects a body OpenAI would reject, without consuming a turn", async () => {
    upstream = await startScriptedUpstream({ script: [{ text: "kept for later" }] });
    const bad = await fetch(`${upstream.openaiBaseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m" }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({
      param: "messages",
      type: "invalid_request_error",
    });
    const good = await clientFor(upstream).chat.completions.create({ model: "m", messages: hello });
    expect(good.choices[0]!.message.content).toBe("kept for later");
  });

  it("lists models and sends provider headers", async () => {
    upstream = await startScriptedUpstream();
    const models = await clientFor(upstream).models.list();
    expect(models.data.map((m) => m.id)).toContain("gpt-4o-mini");
    expect(models.data[0]).toMatchObject({ object: "model", owned_by: "system" });

    const response = await fetch(`${upstream.openaiBaseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: hello, stream: true }),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    const body = await response.text();
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(
      body
        .split("\n\n")
        .filter(Boolean)
        .every((frame) => frame.startsWith("data: ")),
    ).toBe(true);
  });

  it("records parsed bodies and headers, and consumes the script in order then falls back", async () => {
    upstream = await startScriptedUpstream({ script: [{ text: "first" }] });
    upstream.enqueue((request) => ({
      text: `second saw ${request.body.messages.length} message(s)`,
    }));
    const client = clientFor(upstream);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const completion = await client.chat.completions.create(
        { model: "m", messages: hello, temperature: 0.2 },
        { headers: { "x-trace": `t${i}` } },
      );
      answers.push(completion.choices[0]!.message.content);
    }
    expect(answers).toEqual(["first", "second saw 1 message(s)", "hello there"]);
    expect(upstream.requests).toHaveLength(3);
    const [request] = upstream.requests;
    expect(request).toMatchObject({
      wire: "openai",
      method: "POST",
      path: "/v1/chat/completions",
      body: { model: "m", messages: hello, temperature: 0.2 },
    });
    expect(request!.headers.authorization).toBe("Bearer sk-test");
    expect(request!.headers["x-trace"]).toBe("t0");
    expect(request!.receivedAt).toBeLessThanOrEqual(Date.now());
  });
});
