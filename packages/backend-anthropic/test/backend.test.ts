import {
  AbortedError,
  type BackendEvent,
  type LlmRequest,
  TimeoutError,
  toOpenAIError,
  UpstreamError,
} from "@aiproxy/core";
import {
  streamUntilFailure as eventsUntilFailure,
  failureOf,
  type ScriptedUpstream,
  startScriptedUpstream,
} from "@aiproxy/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AnthropicBackendOptions,
  type AnthropicProviderData,
  createAnthropicBackend,
} from "../src/index.js";
import {
  collect,
  isPromptUsage,
  json,
  sse,
  startUpstream,
  type TestUpstream,
  textStream,
  within,
} from "./helpers/upstream.js";

const KEY = "sk-ant-api03-secret-test-key";
const request: LlmRequest = {
  model: "claude-sonnet-4-5",
  messages: [{ role: "user", content: "Hi" }],
};

let upstream: ScriptedUpstream;
beforeEach(async () => {
  upstream = await startScriptedUpstream();
});
afterEach(() => upstream.close());

const backendWith = (options: AnthropicBackendOptions = {}) =>
  createAnthropicBackend({
    baseUrl: upstream.anthropicBaseUrl,
    apiKey: KEY,
    ...options,
    retry: { baseDelayMs: 10, ...options.retry },
  });

/** Events until the stream fails, but the prompt's usage (see `collect`), and the failure. */
const streamUntilFailure = (iterable: AsyncIterable<BackendEvent>) =>
  eventsUntilFailure(iterable, (event) => !isPromptUsage(event));

describe("scripted turns end to end", () => {
  it("streams reasoning, text and tool calls, and sends the thinking turn back next time", async () => {
    upstream.enqueue(
      {
        reasoning: "The user wants the weather.",
        text: "Checking.",
        toolCalls: [{ id: "toolu_1", name: "weather", arguments: { city: "Paris" } }],
      },
      { text: "It is sunny." },
    );
    const backend = backendWith();
    const events = await collect(backend.stream(request));
    const reasoning = events.flatMap((e) => (e.type === "reasoning-delta" ? [e.delta] : []));
    expect(reasoning.join("")).toBe("The user wants the weather.");
    expect(events.find((e) => e.type === "tool-call-delta")).toEqual({
      type: "tool-call-delta",
      index: 0,
      id: "toolu_1",
      name: "weather",
    });
    const finish = events.at(-1);
    if (finish?.type !== "finish") throw new Error("no finish");
    expect(finish.finishReason).toBe("tool_calls");
    expect(finish.message.tool_calls).toEqual([
      {
        id: "toolu_1",
        type: "function",
        function: { name: "weather", arguments: '{"city":"Paris"}' },
      },
    ]);

    await backend.generate({
      ...request,
      messages: [
        ...request.messages,
        finish.message,
        { role: "tool", tool_call_id: "toolu_1", content: "sunny" },
      ],
    });
    const thinkingBlock = (finish.message.providerData as unknown as AnthropicProviderData)
      .anthropic.content[0];
    expect(thinkingBlock).toMatchObject({
      type: "thinking",
      thinking: "The user wants the weather.",
    });
    expect(upstream.requests[1]?.body.messages[1]).toEqual({
      role: "assistant",
      content: [
        thinkingBlock,
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
      ],
    });
    expect(upstream.requests[1]?.body.messages[2]).toEqual({
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }],
    });
  });
});

describe("options", () => {
  it("sends anthropicVersion, defaultHeaders and defaultMaxTokens; tolerates a trailing slash", async () => {
    upstream.enqueue({ status: 400, errorMessage: "proxy says no to Bearer tok-proxy-secret" });
    const backend = createAnthropicBackend({
      baseUrl: `${upstream.anthropicBaseUrl}/`,
      anthropicVersion: "2024-01-01",
      defaultHeaders: {
        "anthropic-beta": "interleaved-thinking-2025-05-14",
        authorization: "Bearer tok-proxy-secret",
      },
      defaultMaxTokens: 123,
    });
    const error = await failureOf(backend.generate(request));
    const sent = upstream.requests[0]!;
    expect(sent.path).toBe("/v1/messages");
    expect(sent.headers["anthropic-version"]).toBe("2024-01-01");
    expect(sent.headers["anthropic-beta"]).toBe("interleaved-thinking-2025-05-14");
    expect(sent.headers["x-api-key"]).toBeUndefined();
    expect(sent.body.max_tokens).toBe(123);
    expect((error as Error).message).not.toContain("tok-proxy-secret");
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
    expect(seen).toEqual([`${upstream.anthropicBaseUrl}/messages`]);
  });
});

describe("retries before the first byte", () => {
  it("retries Anthropic's 529 overloaded, honouring Retry-After over the backoff", async () => {
    upstream.enqueue({ status: 529, retryAfter: 1 }, { text: "ok" });
    // Without Retry-After the first backoff would be ~30 s, past the test timeout.
    const backend = backendWith({ retry: { baseDelayMs: 30_000, maxDelayMs: 60_000 } });
    const started = Date.now();
    const completion = await backend.generate(request);
    expect(completion.message.content).toBe("ok");
    expect(upstream.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("retries 429 and 5xx, then gives up after maxRetries with a 502", async () => {
    upstream.enqueue({ status: 429, retryAfter: 0 }, { status: 500 }, { status: 503 });
    const error = await failureOf(backendWith({ maxRetries: 2 }).generate(request));
    expect(upstream.requests).toHaveLength(3);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(toOpenAIError(error).status).toBe(502);
    expect((error as UpstreamError).upstreamStatus).toBe(503);
  });

  it("counts 529 retries and core's retries against one budget", async () => {
    upstream.enqueue({ status: 529 }, { status: 500 }, { status: 529 }, { text: "never" });
    const error = await failureOf(backendWith({ maxRetries: 2 }).generate(request));
    expect(upstream.requests).toHaveLength(3);
    expect((error as UpstreamError).upstreamStatus).toBe(529);
    expect((error as UpstreamError).code).toBe("overloaded_error");
  });

  it("hands a Retry-After longer than maxDelayMs to the client at once", async () => {
    upstream.enqueue({ status: 429, retryAfter: 120 });
    const error = await failureOf(backendWith({ retry: { maxDelayMs: 20_000 } }).generate(request));
    expect(upstream.requests).toHaveLength(1);
    const { status, headers, body } = toOpenAIError(error);
    expect(status).toBe(429);
    expect(headers["retry-after"]).toBe("120");
    expect(body.error.type).toBe("rate_limit_error");
  });

  it("does not retry a 400 and passes its status and message through", async () => {
    upstream.enqueue({ status: 400, errorMessage: "max_tokens: must be at least 1" });
    const error = await failureOf(backendWith().generate(request));
    expect(upstream.requests).toHaveLength(1);
    const { status, body } = toOpenAIError(error);
    expect(status).toBe(400);
    expect(body.error.message).toContain("max_tokens: must be at least 1");
    expect(body.error.code).toBe("invalid_request_error");
  });

  it("retries a stream whose error event comes before any output", async () => {
    upstream.enqueue(
      { text: "lost", errorEventAfterChunks: 1, errorType: "overloaded_error" },
      {
        text: "second try",
      },
    );
    const events = await collect(backendWith().stream(request));
    expect(upstream.requests).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({
      type: "finish",
      message: { role: "assistant", content: "second try" },
    });
  });

  it("retries a connection dropped before any output", async () => {
    upstream.enqueue({ text: "lost", dropAfterChunks: 2 }, { text: "again" });
    const events = await collect(backendWith().stream(request));
    expect(upstream.requests).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: "finish", message: { content: "again" } });
  });

  it("does not retry a 2xx body that is not a message", async () => {
    upstream.enqueue({ text: "x", headers: {} }, { text: "never" });
    const backend = backendWith({
      fetch: async (input, init) => {
        await fetch(input, init).then((response) => response.text());
        return new Response("[1,2]", {
          status: 200,
          headers: { "content-type": "application/json" },
        });
      },
    });
    const error = await failureOf(backend.generate(request));
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("malformed JSON");
    expect(upstream.requests).toHaveLength(1);
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

  it("fails with the stream's error event, as an upstream 529", async () => {
    upstream.enqueue({ text, errorEventAfterChunks: 4, errorType: "overloaded_error" }, { text });
    const { events, error } = await streamUntilFailure(backendWith().stream(request));
    expect(events).toEqual([{ type: "text-delta", delta: "one" }]);
    expect(upstream.requests).toHaveLength(1);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as UpstreamError).upstreamStatus).toBe(529);
    const { status, body } = toOpenAIError(error);
    expect(status).toBe(502);
    expect(body.error.code).toBe("overloaded_error");
    expect(body.error.message).toContain("Overloaded");
  });

  it("reports the prompt's usage before the first output, not before (a retry is still possible then)", async () => {
    upstream.enqueue({ text, usage: { promptTokens: 30, completionTokens: 2, cachedTokens: 10 } });
    const events: BackendEvent[] = [];
    for await (const event of backendWith().stream(request)) events.push(event);
    expect(events[0]).toEqual({
      type: "usage",
      usage: {
        promptTokens: 30,
        completionTokens: 1,
        totalTokens: 31,
        cachedTokens: 10,
        cacheCreationTokens: 0,
      },
    });
    expect(events[1]?.type).toBe("text-delta");
    expect(events.filter(isPromptUsage)).toHaveLength(1);
  });

  it("fails when the connection drops mid-stream", async () => {
    upstream.enqueue({ text, dropAfterChunks: 5 }, { text });
    const { events, error } = await streamUntilFailure(backendWith().stream(request));
    expect(events.map((e) => e.type)).toEqual(["text-delta", "text-delta"]);
    expect(upstream.requests).toHaveLength(1);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(toOpenAIError(error).status).toBe(502);
  });
});

describe("timeouts", () => {
  let own: TestUpstream;
  beforeEach(async () => {
    own = await startUpstream();
  });
  afterEach(() => own.close());
  const ownBackend = (options: AnthropicBackendOptions = {}) =>
    createAnthropicBackend({ baseUrl: own.baseUrl, apiKey: KEY, ...options });

  it("fails a stalled stream after streamIdleTimeoutMs and closes that request", async () => {
    upstream.enqueue({ text: "one two three", stallAfterChunks: 4 });
    const started = Date.now();
    const { events, error } = await streamUntilFailure(
      backendWith({ streamIdleTimeoutMs: 300 }).stream(request),
    );
    expect(events).toEqual([{ type: "text-delta", delta: "one" }]);
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect(toOpenAIError(error).status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(upstream.requests).toHaveLength(1);

    own.enqueue(textStream(["one"]));
    const stalled = await streamUntilFailure(
      ownBackend({ streamIdleTimeoutMs: 300 }).stream(request),
    );
    expect(TimeoutError.isInstance(stalled.error)).toBe(true);
    await within(own.requests[0]!.closed, 2_000, "stalled request closed");
  });

  it("times out waiting for headers after connectTimeoutMs, retrying like any timeout", async () => {
    upstream.enqueue({ text: "late", delayMs: 10_000 }, { text: "late", delayMs: 10_000 });
    const error = await failureOf(
      backendWith({ connectTimeoutMs: 200, maxRetries: 1 }).generate(request),
    );
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("connect");
    expect(upstream.requests).toHaveLength(2);
  });

  it("bounds the whole exchange with timeoutMs, body included", async () => {
    own.enqueue(textStream(["a", "b"]));
    const { events, error } = await streamUntilFailure(
      ownBackend({ timeoutMs: 500 }).stream(request),
    );
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(8);
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("500 ms");
    await within(own.requests[0]!.closed, 2_000, "timed-out request closed");
  });
});

describe("abort", () => {
  let own: TestUpstream;
  beforeEach(async () => {
    own = await startUpstream();
  });
  afterEach(() => own.close());
  const ownBackend = () => createAnthropicBackend({ baseUrl: own.baseUrl, apiKey: KEY });

  it("aborting mid-stream rejects with AbortedError and closes the HTTP request", async () => {
    own.enqueue(textStream(["a", "b", "c", "d", "e", "f"]));
    const controller = new AbortController();
    const events: BackendEvent[] = [];
    const error = await failureOf(
      (async () => {
        for await (const event of ownBackend().stream(request, { signal: controller.signal })) {
          if (!isPromptUsage(event)) events.push(event);
          if (event.type === "text-delta") controller.abort();
        }
      })(),
    );
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(events).toHaveLength(1);
    await within(own.requests[0]!.closed, 2_000, "aborted stream closed");
  });

  it("aborting before the response arrives cancels the request", async () => {
    const controller = new AbortController();
    // The upstream has the request and never answers; the caller gives up then.
    own.enqueue(() => controller.abort());
    const error = await failureOf(ownBackend().generate(request, { signal: controller.signal }));
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(own.requests).toHaveLength(1);
    await within(own.requests[0]!.closed, 2_000, "aborted request closed");
  });

  it("aborting during a retry wait stops at once", async () => {
    upstream.enqueue({ status: 529, retryAfter: 10 }, { text: "never" });
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
    own.enqueue(textStream(["a", "b", "c", "d", "e", "f"]));
    for await (const event of ownBackend().stream(request)) {
      if (event.type === "text-delta") break;
    }
    await within(own.requests[0]!.closed, 2_000, "abandoned stream closed");
  });

  it("the text stream used above does finish when asked to", async () => {
    own.enqueue(textStream(["a", "b"], { end: true }));
    const events = await collect(ownBackend().stream(request));
    expect(events.at(-1)).toMatchObject({ type: "finish", message: { content: "ab" } });
  });
});

describe("secrets", () => {
  it("sends the key as x-api-key and never puts it in an error", async () => {
    upstream.enqueue({ status: 401, errorMessage: `invalid x-api-key ${KEY}` });
    const error = await failureOf(backendWith().generate(request));
    expect(upstream.requests[0]?.headers["x-api-key"]).toBe(KEY);
    const { status, body } = toOpenAIError(error);
    expect(status).toBe(401);
    expect(body.error.message).not.toContain(KEY);
    expect(body.error.message).toContain("[REDACTED]");
  });

  it("redacts the key from an in-stream error too", async () => {
    upstream.enqueue({ text: "a b c", errorEventAfterChunks: 4, errorMessage: `bad ${KEY}` });
    const { error } = await streamUntilFailure(backendWith().stream(request));
    expect((error as Error).message).not.toContain(KEY);
    expect((error as Error).message).toContain("[REDACTED]");
  });

  it("names no key when the upstream cannot be reached", async () => {
    const url = upstream.anthropicBaseUrl;
    await upstream.close();
    const error = await failureOf(
      createAnthropicBackend({ baseUrl: url, apiKey: KEY, maxRetries: 0 }).generate(request),
    );
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as UpstreamError).upstreamStatus).toBe(0);
    expect(JSON.stringify(toOpenAIError(error))).not.toContain(KEY);
  });
});

describe("2xx bodies that are errors or of the wrong shape", () => {
  let own: TestUpstream;
  beforeEach(async () => {
    own = await startUpstream();
  });
  afterEach(() => own.close());
  const ownBackend = (options: AnthropicBackendOptions = {}) =>
    createAnthropicBackend({ baseUrl: own.baseUrl, apiKey: KEY, maxRetries: 0, ...options });
  const overloaded = {
    type: "error",
    error: { type: "overloaded_error", message: `Overloaded, key ${KEY}` },
  };

  it("a 200 body that is an error is an UpstreamError with the provider's message", async () => {
    own.enqueue(json(overloaded));
    const error = await failureOf(ownBackend().generate(request));
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as UpstreamError).upstreamStatus).toBe(529);
    expect((error as UpstreamError).code).toBe("overloaded_error");
    expect((error as Error).message).toContain("Overloaded");
    expect((error as Error).message).not.toContain(KEY);
  });

  it("retries a 200 error body whose status may succeed next time", async () => {
    own.enqueue(
      json(overloaded),
      json({ type: "message", content: [{ type: "text", text: "second" }] }),
    );
    const completion = await ownBackend({ maxRetries: 1, retry: { baseDelayMs: 1 } }).generate(
      request,
    );
    expect(completion.message.content).toBe("second");
    expect(own.requests).toHaveLength(2);
  });

  it("a JSON error answer to a streaming request fails the stream the same way", async () => {
    own.enqueue(json(overloaded));
    const error = await failureOf(collect(ownBackend().stream(request)));
    expect((error as UpstreamError).upstreamStatus).toBe(529);
    expect((error as Error).message).toContain("Overloaded");
  });

  it("a JSON message answering a streaming request becomes its events", async () => {
    own.enqueue(json({ id: "msg_1", type: "message", content: [{ type: "text", text: "whole" }] }));
    const events = await collect(ownBackend().stream(request));
    expect(events[0]).toEqual({ type: "text-delta", delta: "whole" });
    expect(events.at(-1)).toMatchObject({ type: "finish", id: "msg_1", finishReason: "stop" });
  });

  it("an `event: error` whose data has no type still carries the provider's message", async () => {
    own.enqueue(
      sse(
        `event: error\ndata: ${JSON.stringify({ error: { type: "api_error", message: "boom" } })}\n\n`,
      ),
    );
    const error = await failureOf(collect(ownBackend().stream(request)));
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe("Upstream stream failed (api_error): boom");
  });

  it.each([
    [{ choices: "nope" }, "Upstream response is not a message: no content list"],
    [
      { type: "message", content: "nope" },
      "Upstream response has content that is not a list of blocks (a string)",
    ],
    [
      { type: "message", content: [{ type: "tool_use", input: {} }] },
      "Upstream response has a tool_use block without a string id and name at content[0]",
    ],
    [{ type: "message", content: [null] }, "has a content block without a type at content[0]"],
  ])("a message %j is a 502 that says what is wrong", async (body, message) => {
    own.enqueue(json(body));
    const error = await failureOf(ownBackend().generate(request));
    expect(toOpenAIError(error).status).toBe(502);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toMatch(/is not a function|is not iterable|undefined/);
  });

  it("a stream event of the wrong shape is a 502 that says what is wrong", async () => {
    own.enqueue(
      sse(
        `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { content: 5 } })}\n\n`,
      ),
    );
    const error = await failureOf(collect(ownBackend().stream(request)));
    expect(toOpenAIError(error).status).toBe(502);
    expect((error as Error).message).toBe(
      "Upstream stream's message_start has content that is not a list of blocks (a number)",
    );
  });

  it("maxResponseBytes and maxEventBytes bound what is read, naming the limit", async () => {
    own.enqueue(
      json({ type: "message", content: [{ type: "text", text: "y".repeat(5_000) }] }),
      textStream(["z".repeat(5_000)]),
    );
    const backend = ownBackend({ maxResponseBytes: 1_000, maxEventBytes: 1_000 });
    const body = await failureOf(backend.generate(request));
    expect((body as Error).message).toContain("max_response_bytes (1000 bytes)");
    const event = await failureOf(collect(backend.stream(request)));
    expect(toOpenAIError(event).status).toBe(502);
    expect((event as Error).message).toContain("max_event_bytes (1000 bytes)");
  });

  it("reports each attempt and retry to onAttempt and onRetry", async () => {
    upstream.enqueue({ status: 529, retryAfter: 0 }, { text: "ok" });
    const attempts: Array<{ attempt: number; status: number }> = [];
    const retries: number[] = [];
    await backendWith({
      onAttempt: ({ attempt, status }) => attempts.push({ attempt, status }),
      onRetry: ({ attempt }) => retries.push(attempt),
    }).generate(request);
    expect(attempts).toEqual([
      { attempt: 1, status: 529 },
      { attempt: 2, status: 200 },
    ]);
    expect(retries).toEqual([1]);
  });
});
