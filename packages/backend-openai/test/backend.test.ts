import {
  AbortedError,
  type BackendEvent,
  type LlmRequest,
  TimeoutError,
  toOpenAIError,
  UpstreamError,
} from "@aiproxy/core";
import {
  failureOf,
  type ScriptedUpstream,
  startScriptedUpstream,
  streamUntilFailure,
} from "@aiproxy/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOpenAIBackend, type OpenAIBackendOptions } from "../src/index.js";
import {
  collect,
  data,
  json,
  type ReplayServer,
  sse,
  startReplayServer,
} from "./helpers/replay.js";

const KEY = "sk-proj-secret-test-key-0123456789";
const request: LlmRequest = { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] };

let upstream: ScriptedUpstream;
beforeEach(async () => {
  upstream = await startScriptedUpstream();
});
afterEach(() => upstream.close());

const backendWith = (options: OpenAIBackendOptions = {}) =>
  createOpenAIBackend({
    baseUrl: upstream.openaiBaseUrl,
    apiKey: KEY,
    ...options,
    retry: { baseDelayMs: 10, ...options.retry },
  });

/** Resolves once the scripted upstream has no response in flight. */
async function settled(what: string, timeoutMs = 2_000): Promise<void> {
  await upstream.waitForIdle(timeoutMs).catch(() => {
    throw new Error(`${what}: request still active`);
  });
}

describe("scripted turns end to end", () => {
  it("streams reasoning, text and tool calls, then sends the tool loop's next turn", async () => {
    upstream.enqueue(
      {
        reasoning: "The user wants the weather.",
        text: "Checking.",
        toolCalls: [{ id: "call_1", name: "weather", arguments: { city: "Paris" } }],
        textChunkSize: 4,
        usage: { promptTokens: 50, completionTokens: 20, cachedTokens: 32 },
      },
      { text: "It is sunny." },
    );
    const backend = backendWith();
    const events = await collect(backend.stream(request));
    const text = (type: string) =>
      events.flatMap((e) => (e.type === type && "delta" in e ? [e.delta] : [])).join("");
    expect(text("reasoning-delta")).toBe("The user wants the weather.");
    expect(text("text-delta")).toBe("Checking.");
    const calls = events.filter((e) => e.type === "tool-call-delta");
    expect(calls[0]).toEqual({ type: "tool-call-delta", index: 0, id: "call_1", name: "weather" });
    expect(calls.slice(1).map((e) => (e as { argumentsDelta: string }).argumentsDelta)).toEqual([
      '{"ci',
      'ty":',
      '"Par',
      'is"}',
    ]);
    const finish = events.at(-1);
    if (finish?.type !== "finish") throw new Error("no finish");
    expect(finish.finishReason).toBe("tool_calls");
    expect(finish.usage).toMatchObject({
      promptTokens: 50,
      completionTokens: 20,
      cachedTokens: 32,
    });
    expect(finish.id).toMatch(/^chatcmpl-/);
    expect(finish.message).toEqual({
      role: "assistant",
      content: "Checking.",
      tool_calls: [
        {
          id: "call_1",
          type: "function",
          function: { name: "weather", arguments: '{"city":"Paris"}' },
        },
      ],
    });

    const completion = await backend.generate({
      ...request,
      messages: [
        ...request.messages,
        { ...finish.message, providerData: { other: { opaque: true } } },
        { role: "tool", tool_call_id: "call_1", content: "sunny", isError: false },
      ],
    });
    expect(completion.message).toEqual({ role: "assistant", content: "It is sunny." });
    expect(upstream.requests[1]?.body.messages).toEqual([
      { role: "user", content: "Hi" },
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "weather", arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ]);
  });

  it("passes sampling parameters and tools through, with extraBody merged last", async () => {
    upstream.enqueue({ text: "ok" });
    await backendWith().generate({
      ...request,
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" } } }],
      params: {
        temperature: 0.2,
        max_completion_tokens: 64,
        stop: ["\n\n"],
        seed: 7,
        tool_choice: "required",
        parallel_tool_calls: false,
        reasoning_effort: "low",
        user: "u-1",
        top_p: undefined,
      },
      extraBody: { temperature: 0.9, top_k: 40 },
    });
    expect(upstream.requests[0]?.body).toEqual({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Hi" }],
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" } } }],
      tool_choice: "required",
      parallel_tool_calls: false,
      temperature: 0.9,
      max_completion_tokens: 64,
      stop: ["\n\n"],
      seed: 7,
      reasoning_effort: "low",
      user: "u-1",
      top_k: 40,
    });
  });
});

describe("options", () => {
  it("sends defaultHeaders, no Authorization without an apiKey, and tolerates a trailing slash", async () => {
    upstream.enqueue({ status: 400, errorMessage: "proxy says no to tok-proxy-secret" });
    const backend = createOpenAIBackend({
      baseUrl: `${upstream.openaiBaseUrl}/`,
      defaultHeaders: { "x-title": "aiproxy", "x-proxy-token": "tok-proxy-secret" },
    });
    const error = await failureOf(backend.generate(request));
    const sent = upstream.requests[0]!;
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.headers["x-title"]).toBe("aiproxy");
    expect((error as Error).message).not.toContain("tok-proxy-secret");
    expect((error as Error).message).toContain("[REDACTED]");
  });

  it("uses the fetch it is given", async () => {
    const seen: string[] = [];
    upstream.enqueue({ text: "via custom fetch" });
    const backend = backendWith({
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    expect((await backend.generate(request)).message.content).toBe("via custom fetch");
    expect(seen).toEqual([`${upstream.openaiBaseUrl}/chat/completions`]);
    expect(backend.provider).toBe("openai");
  });
});

describe("retries before the first byte", () => {
  it("retries a 429, honouring Retry-After over the backoff", async () => {
    upstream.enqueue({ status: 429, retryAfter: 1 }, { text: "ok" });
    // Without Retry-After the first backoff would be ~30 s, past the test timeout.
    const backend = backendWith({ retry: { baseDelayMs: 30_000, maxDelayMs: 60_000 } });
    const started = Date.now();
    const completion = await backend.generate(request);
    expect(completion.message.content).toBe("ok");
    expect(upstream.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("honours OpenAI's retry-after-ms", async () => {
    upstream.enqueue({ status: 503, headers: { "retry-after-ms": "50" } }, { text: "ok" });
    const backend = backendWith({ retry: { baseDelayMs: 30_000, maxDelayMs: 60_000 } });
    expect((await backend.generate(request)).message.content).toBe("ok");
    expect(upstream.requests).toHaveLength(2);
  });

  it("retries 429 and 5xx, then gives up after maxRetries with a 502", async () => {
    upstream.enqueue(
      { status: 429, retryAfter: 0 },
      { status: 500 },
      { status: 503 },
      { text: "x" },
    );
    const error = await failureOf(backendWith({ maxRetries: 2 }).generate(request));
    expect(upstream.requests).toHaveLength(3);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(toOpenAIError(error).status).toBe(502);
    expect((error as UpstreamError).upstreamStatus).toBe(503);
  });

  it("hands a Retry-After longer than maxDelayMs to the client at once", async () => {
    upstream.enqueue({ status: 429, retryAfter: 120 }, { text: "never" });
    const error = await failureOf(backendWith({ retry: { maxDelayMs: 20_000 } }).generate(request));
    expect(upstream.requests).toHaveLength(1);
    const { status, headers, body } = toOpenAIError(error);
    expect(status).toBe(429);
    expect(headers["retry-after"]).toBe("120");
    expect(body.error.type).toBe("rate_limit_error");
    expect(body.error.code).toBe("rate_limit_exceeded");
  });

  it("fails at once with the 429 when Retry-After would outlast the call's deadline", async () => {
    upstream.enqueue({ status: 429, retryAfter: 5 }, { text: "never" });
    const started = Date.now();
    const error = await failureOf(
      backendWith({ timeoutMs: 2_000, retry: { maxDelayMs: 60_000 } }).generate(request),
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(upstream.requests).toHaveLength(1);
    const { status, headers } = toOpenAIError(error);
    expect(status).toBe(429);
    expect(headers["retry-after"]).toBe("5");
  });

  it("does not retry a 400 and passes its status and message through", async () => {
    upstream.enqueue({ status: 400, errorMessage: "Unsupported value: 'temperature'" });
    const error = await failureOf(backendWith().generate(request));
    expect(upstream.requests).toHaveLength(1);
    const { status, body } = toOpenAIError(error);
    expect(status).toBe(400);
    expect(body.error.message).toContain("Unsupported value: 'temperature'");
  });

  it("retries a stream whose error event comes before any output", async () => {
    // The first event is the role chunk, which yields nothing.
    upstream.enqueue({ text: "lost", errorEventAfterChunks: 1 }, { text: "second try" });
    const events = await collect(backendWith().stream(request));
    expect(upstream.requests).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({
      type: "finish",
      message: { role: "assistant", content: "second try" },
    });
  });

  it("retries a connection dropped before any output", async () => {
    upstream.enqueue({ text: "lost", dropAfterChunks: 1 }, { text: "again" });
    const events = await collect(backendWith().stream(request));
    expect(upstream.requests).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: "finish", message: { content: "again" } });
  });

  it("retries a non-streaming body cut off half way", async () => {
    upstream.enqueue({ text: "lost", dropAfterChunks: 0 }, { text: "whole" });
    const completion = await backendWith().generate(request);
    expect(upstream.requests).toHaveLength(2);
    expect(completion.message.content).toBe("whole");
  });
});

describe("no retry once output started", () => {
  const text = "one two three four five six";

  it("fails with the in-stream error event as an UpstreamError", async () => {
    upstream.enqueue(
      { text, errorEventAfterChunks: 3, errorMessage: "The server had an error" },
      { text },
    );
    const { events, error } = await streamUntilFailure(backendWith().stream(request));
    expect(events).toEqual([
      { type: "text-delta", delta: "one" },
      { type: "text-delta", delta: " two" },
    ]);
    expect(upstream.requests).toHaveLength(1);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as UpstreamError).upstreamStatus).toBe(500);
    const { status, body } = toOpenAIError(error);
    expect(status).toBe(502);
    expect(body.error.code).toBe("server_error");
    expect(body.error.message).toContain("The server had an error");
  });

  it("rejects when the socket drops mid-stream", async () => {
    upstream.enqueue({ text, dropAfterChunks: 4 }, { text });
    const { events, error } = await streamUntilFailure(backendWith().stream(request));
    expect(events.map((e) => e.type)).toEqual(["text-delta", "text-delta", "text-delta"]);
    expect(upstream.requests).toHaveLength(1);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(toOpenAIError(error).status).toBe(502);
  });
});

describe("timeouts", () => {
  it("fails a stalled stream after streamIdleTimeoutMs and closes that request", async () => {
    upstream.enqueue({ text: "one two three", stallAfterChunks: 2 });
    const started = Date.now();
    const { events, error } = await streamUntilFailure(
      backendWith({ streamIdleTimeoutMs: 300 }).stream(request),
    );
    expect(events).toEqual([{ type: "text-delta", delta: "one" }]);
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect(toOpenAIError(error).status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(upstream.requests).toHaveLength(1);
    await settled("stalled stream");
  });

  it("times out waiting for headers after connectTimeoutMs, retrying like any timeout", async () => {
    upstream.enqueue({ text: "late", delayMs: 10_000 }, { text: "late", delayMs: 10_000 });
    const error = await failureOf(
      backendWith({ connectTimeoutMs: 200, maxRetries: 1 }).generate(request),
    );
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("connect");
    expect(upstream.requests).toHaveLength(2);
    await settled("timed-out connects");
  });

  it("bounds the whole exchange with timeoutMs, body included", async () => {
    upstream.enqueue({ text: "a b c d e f g h", chunkDelayMs: 150 });
    const { events, error } = await streamUntilFailure(
      backendWith({ timeoutMs: 500 }).stream(request),
    );
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(8);
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("500 ms");
    await settled("timed-out stream");
  });
});

describe("abort", () => {
  it("aborting mid-stream rejects with AbortedError and leaves no request active", async () => {
    upstream.enqueue({ text: "a b c d e f", chunkDelayMs: 100 });
    const controller = new AbortController();
    const events: BackendEvent[] = [];
    const error = await failureOf(
      (async () => {
        for await (const event of backendWith().stream(request, { signal: controller.signal })) {
          events.push(event);
          if (event.type === "text-delta") controller.abort();
        }
      })(),
    );
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(events).toHaveLength(1);
    await settled("aborted stream");
  });

  it("aborting before the response arrives cancels the request", async () => {
    const controller = new AbortController();
    // Aborted while the upstream holds the status line back.
    upstream.enqueue({
      text: "late",
      hold: new Promise(() => {}),
      onWait: () => controller.abort(),
    });
    const error = await failureOf(backendWith().generate(request, { signal: controller.signal }));
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(upstream.requests).toHaveLength(1);
    await settled("aborted request");
  });

  it("aborting during a retry wait stops at once", async () => {
    upstream.enqueue({ status: 503, retryAfter: 10 }, { text: "never" });
    const controller = new AbortController();
    const started = Date.now();
    const error = await failureOf(
      backendWith({
        retry: { maxDelayMs: 60_000 },
        // Runs just after the 10 s wait began.
        onRetry: () => queueMicrotask(() => controller.abort()),
      }).generate(request, {
        signal: controller.signal,
      }),
    );
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(upstream.requests).toHaveLength(1);
  });

  it("breaking out of the loop early closes the HTTP request", async () => {
    upstream.enqueue({ text: "a b c d e f", chunkDelayMs: 100 });
    for await (const event of backendWith().stream(request)) {
      if (event.type === "text-delta") break;
    }
    await settled("abandoned stream");
  });
});

describe("secrets", () => {
  it("sends the key as a Bearer token and never puts it in an error", async () => {
    upstream.enqueue({ status: 401, errorMessage: `Incorrect API key provided: ${KEY}` });
    const error = await failureOf(backendWith().generate(request));
    expect(upstream.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    const { status, body } = toOpenAIError(error);
    expect(status).toBe(401);
    expect(body.error.message).not.toContain(KEY);
    expect(body.error.message).toContain("[REDACTED]");
  });

  it("redacts the key from an in-stream error too", async () => {
    upstream.enqueue({ text: "a b c", errorEventAfterChunks: 3, errorMessage: `bad ${KEY}` });
    const { error } = await streamUntilFailure(backendWith().stream(request));
    expect((error as Error).message).not.toContain(KEY);
    expect((error as Error).message).toContain("[REDACTED]");
  });

  it("names no key when the upstream cannot be reached", async () => {
    const url = upstream.openaiBaseUrl;
    await upstream.close();
    const error = await failureOf(
      createOpenAIBackend({ baseUrl: url, apiKey: KEY, maxRetries: 0 }).generate(request),
    );
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as UpstreamError).upstreamStatus).toBe(0);
    expect(JSON.stringify(toOpenAIError(error))).not.toContain(KEY);
  });
});

describe("stream endings and odd servers", () => {
  let own: ReplayServer;
  beforeEach(async () => {
    own = await startReplayServer();
  });
  afterEach(() => own.close());
  const ownBackend = () => createOpenAIBackend({ baseUrl: own.baseUrl, maxRetries: 0 });
  const chunk = (delta: object, finish_reason: string | null = null) =>
    data({ id: "chatcmpl-x", choices: [{ index: 0, delta, finish_reason }] });

  it("rejects a stream that ends without finish_reason and without [DONE]", async () => {
    own.enqueue(sse(chunk({ role: "assistant", content: "cut" })));
    const { events, error } = await streamUntilFailure(ownBackend().stream(request));
    expect(events).toEqual([{ type: "text-delta", delta: "cut" }]);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("finish_reason");
  });

  it("accepts [DONE] without a finish_reason as a normal stop", async () => {
    own.enqueue(sse(chunk({ content: "fine" }) + data("[DONE]")));
    const events = await collect(ownBackend().stream(request));
    expect(events.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
  });

  it("maps a vLLM-style error event with a numeric code to that status", async () => {
    own.enqueue(
      sse(
        data({
          error: {
            object: "error",
            message: "context too long",
            type: "BadRequestError",
            code: 400,
          },
        }),
      ),
    );
    const error = await failureOf(collect(ownBackend().stream(request)));
    expect((error as UpstreamError).upstreamStatus).toBe(400);
    expect(toOpenAIError(error).status).toBe(400);
    expect((error as Error).message).toContain("context too long");
  });

  it("turns a JSON answer to a streaming request into events", async () => {
    own.enqueue(
      json({
        id: "chatcmpl-json",
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: null,
              tool_calls: [{ type: "function", function: { name: "f", arguments: { a: 1 } } }],
            },
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      }),
    );
    const events = await collect(ownBackend().stream(request));
    const id = (events[0] as { id: string }).id;
    expect(id).toMatch(/^call_[\w-]{16}$/);
    expect(events).toEqual([
      { type: "tool-call-delta", index: 0, id, name: "f" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"a":1}' },
      {
        type: "finish",
        id: "chatcmpl-json",
        finishReason: "tool_calls",
        usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
        message: {
          role: "assistant",
          content: null,
          tool_calls: [{ id, type: "function", function: { name: "f", arguments: '{"a":1}' } }],
        },
      },
    ]);
  });

  it("fails on a 200 body that is an error, or has no choices", async () => {
    own.enqueue(
      json({ error: { message: "quota", type: "insufficient_quota", code: "insufficient_quota" } }),
      json({ id: "x", choices: [] }),
    );
    const quota = await failureOf(ownBackend().generate(request));
    expect((quota as UpstreamError).upstreamStatus).toBe(429);
    expect((quota as UpstreamError).code).toBe("insufficient_quota");
    const empty = await failureOf(ownBackend().generate(request));
    expect(UpstreamError.isInstance(empty)).toBe(true);
    expect((empty as Error).message).toContain("no choices");
  });
});

describe("2xx bodies of the wrong shape", () => {
  let own: ReplayServer;
  beforeEach(async () => {
    own = await startReplayServer();
  });
  afterEach(() => own.close());
  const ownBackend = (options: OpenAIBackendOptions = {}) =>
    createOpenAIBackend({ baseUrl: own.baseUrl, maxRetries: 0, ...options });

  it.each([
    [{ choices: "nope" }, "Upstream response has no choices array (choices is a string)"],
    [
      { choices: [null] },
      "Upstream response has a choice that is not an object (choices[0] is null)",
    ],
    [{ choices: [{ message: "hi" }] }, "Upstream response has a message that is not an object"],
    [
      { choices: [{ message: { content: { text: "x" } } }] },
      "Upstream response has content that is neither text nor a list of parts in choices[0].message",
    ],
    [
      { choices: [{ message: { tool_calls: "f" } }] },
      "Upstream response has tool_calls that is not a list in choices[0].message",
    ],
  ])("a completion %j is a 502 that says what is wrong", async (body, message) => {
    own.enqueue(json(body));
    const error = await failureOf(ownBackend().generate(request));
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(toOpenAIError(error).status).toBe(502);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toMatch(/is not a function|is not iterable|undefined/);
  });

  it("a stream chunk of the wrong shape is a 502 that says what is wrong", async () => {
    own.enqueue(sse(data({ id: "x", choices: "nope" })));
    const error = await failureOf(collect(ownBackend().stream(request)));
    expect(toOpenAIError(error).status).toBe(502);
    expect((error as Error).message).toBe(
      "Upstream stream chunk has no choices array (choices is a string)",
    );
  });

  it("a delta whose tool_calls is not a list is a 502 that says so", async () => {
    own.enqueue(sse(data({ choices: [{ index: 0, delta: { tool_calls: { a: 1 } } }] })));
    const error = await failureOf(collect(ownBackend().stream(request)));
    expect((error as Error).message).toContain("tool_calls that is not a list");
  });
});

describe("limits and hooks", () => {
  let own: ReplayServer;
  beforeEach(async () => {
    own = await startReplayServer();
  });
  afterEach(() => own.close());

  it("maxResponseBytes bounds a completion and maxEventBytes one event, naming the limit", async () => {
    own.enqueue(
      json({ id: "x", choices: [{ index: 0, message: { content: "y".repeat(5_000) } }] }),
      sse(data({ choices: [{ index: 0, delta: { content: "z".repeat(5_000) } }] })),
    );
    const backend = createOpenAIBackend({
      baseUrl: own.baseUrl,
      maxRetries: 0,
      maxResponseBytes: 1_000,
      maxEventBytes: 1_000,
    });
    const body = await failureOf(backend.generate(request));
    expect(toOpenAIError(body).status).toBe(502);
    expect((body as Error).message).toContain("max_response_bytes (1000 bytes)");
    const event = await failureOf(collect(backend.stream(request)));
    expect(toOpenAIError(event).status).toBe(502);
    expect((event as Error).message).toContain("max_event_bytes (1000 bytes)");
  });

  it("reports each attempt and retry to onAttempt and onRetry", async () => {
    upstream.enqueue({ status: 503, retryAfter: 0 }, { text: "ok" });
    const attempts: Array<{ attempt: number; status: number }> = [];
    const retries: number[] = [];
    const completion = await backendWith({
      onAttempt: ({ attempt, status }) => attempts.push({ attempt, status }),
      onRetry: ({ attempt }) => retries.push(attempt),
    }).generate(request);
    expect(completion.message.content).toBe("ok");
    expect(attempts).toEqual([
      { attempt: 1, status: 503 },
      { attempt: 2, status: 200 },
    ]);
    expect(retries).toEqual([1]);
  });
});
