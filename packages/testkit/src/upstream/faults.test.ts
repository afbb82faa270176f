import { AbortedError, TimeoutError } from "@aiproxy/core";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { startScriptedUpstream } from "./server.js";
import type { ScriptedUpstream } from "./types.js";

let upstream: ScriptedUpstream;
afterEach(async () => {
  await upstream?.close();
  expect(upstream.openConnections()).toBe(0);
});

const openai = (up: ScriptedUpstream, timeout = 10_000) =>
  new OpenAI({ apiKey: "sk-test", baseURL: up.openaiBaseUrl, maxRetries: 0, timeout });
const anthropic = (up: ScriptedUpstream, timeout = 10_000) =>
  new Anthropic({ apiKey: "sk-ant-test", baseURL: up.url, maxRetries: 0, timeout });

const messages = [{ role: "user" as const, content: "hello" }];
const anthropicBase = { model: "claude-sonnet-4-5", max_tokens: 100, messages };
const text = "alpha beta gamma delta epsilon zeta eta theta";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("fault injection", () => {
  it("delays the response headers", async () => {
    upstream = await startScriptedUpstream({ script: [{ text: "late", delayMs: 200 }] });
    const started = performance.now();
    const completion = await openai(upstream).chat.completions.create({ model: "m", messages });
    expect(completion.choices[0]!.message.content).toBe("late");
    // A lower bound from before the request: a loaded machine can only make it longer.
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("lets a client time out on a delay, and ends the response when it goes", async () => {
    upstream = await startScriptedUpstream({ script: [{ text: "never seen", delayMs: 30_000 }] });
    const error = await openai(upstream, 300)
      .chat.completions.create({ model: "m", messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    // The client may keep or reopen an idle socket, so ask whether the response is over.
    await upstream.waitForIdle();
  });

  it("stalls an OpenAI stream after N events until the client aborts", async () => {
    const stalled = deferred();
    upstream = await startScriptedUpstream({
      script: [{ text, stallAfterChunks: 2, onWait: stalled.resolve }],
    });
    const controller = new AbortController();
    const stream = await openai(upstream).chat.completions.create(
      { model: "m", messages, stream: true },
      { signal: controller.signal },
    );
    const iterator = stream[Symbol.asyncIterator]();
    const received: string[] = [];
    for (let i = 0; i < 2; i++) {
      const next = await iterator.next();
      if (!next.done) received.push(next.value.choices[0]?.delta.content ?? "");
    }
    // From here on the upstream sends nothing more: nothing but the abort ends the next read.
    await stalled.promise;
    expect(received).toEqual(["", "alpha"]);
    expect(upstream.activeRequests()).toBe(1);
    const leftover = iterator.next().catch((e: unknown) => e);
    controller.abort();
    expect(await leftover).not.toMatchObject({ done: false });
    await upstream.waitForIdle();
  });

  it("stalls an Anthropic stream, and the SDK's abort ends it", async () => {
    upstream = await startScriptedUpstream({ script: [{ text, stallAfterChunks: 4 }] });
    const controller = new AbortController();
    const stream = await anthropic(upstream).messages.create(
      { ...anthropicBase, stream: true },
      { signal: controller.signal },
    );
    const iterator = stream[Symbol.asyncIterator]();
    const types: string[] = [];
    for (let i = 0; i < 3; i++) {
      const next = await iterator.next();
      if (!next.done) types.push(next.value.type);
    }
    // The ping (event 3) is swallowed by the SDK.
    expect(types).toEqual(["message_start", "content_block_start", "content_block_delta"]);
    const leftover = iterator.next().catch((e: unknown) => e);
    controller.abort();
    expect(await leftover).not.toMatchObject({ done: false });
    await upstream.waitForIdle();
  });

  it("stalls a non-streaming body halfway", async () => {
    const stalled = deferred();
    upstream = await startScriptedUpstream({
      script: [{ text, stallAfterChunks: 0, onWait: stalled.resolve }],
    });
    const controller = new AbortController();
    const pending = openai(upstream)
      .chat.completions.create({ model: "m", messages }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await upstream.waitForRequests(1);
    // Half the body is on the wire and the rest never comes.
    await stalled.promise;
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await upstream.waitForIdle();
  });

  it("drops the connection mid-stream so the OpenAI client fails instead of ending cleanly", async () => {
    upstream = await startScriptedUpstream({ script: [{ text, dropAfterChunks: 3 }] });
    const stream = await openai(upstream).chat.completions.create({
      model: "m",
      messages,
      stream: true,
    });
    const received: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(received).toEqual(["", "alpha", " beta"]);
  });

  it("drops the connection mid-stream for the Anthropic client too", async () => {
    upstream = await startScriptedUpstream({ script: [{ text, dropAfterChunks: 5 }] });
    const error = await anthropic(upstream)
      .messages.stream(anthropicBase)
      .finalMessage()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(Anthropic.APIUserAbortError);
  });

  it("drops a non-streaming response halfway through the body", async () => {
    upstream = await startScriptedUpstream({ script: [{ text, dropAfterChunks: 0 }] });
    const error = await openai(upstream)
      .chat.completions.create({ model: "m", messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
  });

  it("sends OpenAI's in-stream error after N events and ends without [DONE]", async () => {
    upstream = await startScriptedUpstream({
      script: [
        { text, errorEventAfterChunks: 2, errorMessage: "upstream melted" },
        { text, errorEventAfterChunks: 1 },
      ],
    });
    const stream = await openai(upstream).chat.completions.create({
      model: "m",
      messages,
      stream: true,
    });
    const received: string[] = [];
    const error = (await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.message).toContain("upstream melted");
    expect(error.error).toMatchObject({ type: "server_error" });
    expect(received).toEqual(["", "alpha"]);

    const raw = await fetch(`${upstream.openaiBaseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages, stream: true }),
    });
    const frames = (await raw.text()).split("\n\n").filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(JSON.parse(frames[1]!.slice("data: ".length))).toEqual({
      error: {
        message: "The server had an error while processing your request. Sorry about that!",
        type: "server_error",
        param: null,
        code: null,
      },
    });
  });

  it("sends Anthropic's error event after N events", async () => {
    upstream = await startScriptedUpstream({
      script: [
        { text, errorEventAfterChunks: 4 },
        { text, errorEventAfterChunks: 2, errorType: "api_error", errorMessage: "boom" },
      ],
    });
    const client = anthropic(upstream);
    const overloaded = (await client.messages
      .stream(anthropicBase)
      .finalMessage()
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    expect(overloaded.error).toMatchObject({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
    });

    const custom = (await client.messages
      .stream(anthropicBase)
      .finalMessage()
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(custom.error).toMatchObject({ error: { type: "api_error", message: "boom" } });
  });

  it("paces stream events with chunkDelayMs", async () => {
    upstream = await startScriptedUpstream({ script: [{ text: "a b c", chunkDelayMs: 80 }] });
    const started = performance.now();
    const stream = await openai(upstream).chat.completions.create({
      model: "m",
      messages,
      stream: true,
    });
    const stamps: number[] = [];
    for await (const _chunk of stream) stamps.push(performance.now());
    // role chunk, three words, finish chunk: four pauses between five events. Measured
    // from before the request, not from the first event: a client that reads late
    // (a loaded machine) sees events bunched, but the last can never come sooner.
    expect(stamps).toHaveLength(5);
    expect(stamps.at(-1)! - started).toBeGreaterThanOrEqual(4 * 80 - 10);
  });

  it("holds the status line until released, while other requests are answered", async () => {
    const release = deferred();
    const waiting = deferred();
    upstream = await startScriptedUpstream({
      script: [{ text: "held", hold: release.promise, onWait: waiting.resolve }],
    });
    const client = openai(upstream);
    let settled = false;
    const pending = client.chat.completions.create({ model: "m", messages }).finally(() => {
      settled = true;
    });
    await waiting.promise;
    const overtaking = await client.chat.completions.create({ model: "m", messages });
    expect(overtaking.choices[0]!.message.content).toBe("hello");
    expect(settled).toBe(false);
    release.resolve();
    expect((await pending).choices[0]!.message.content).toBe("held");
  });

  it("holds a stream after holdAfterChunks events, then sends the rest", async () => {
    const release = deferred();
    const waiting = deferred();
    upstream = await startScriptedUpstream({
      script: [{ text, hold: release.promise, holdAfterChunks: 2, onWait: waiting.resolve }],
    });
    const stream = await openai(upstream).chat.completions.create({
      model: "m",
      messages,
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    const received: string[] = [];
    for (let i = 0; i < 2; i++) {
      const next = await iterator.next();
      if (!next.done) received.push(next.value.choices[0]?.delta.content ?? "");
    }
    await waiting.promise;
    expect(received).toEqual(["", "alpha"]);
    expect(upstream.activeRequests()).toBe(1);
    release.resolve();
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      received.push(next.value.choices[0]?.delta.content ?? "");
    expect(received.join("")).toBe(text);
  });

  it("ends a hold that is never released when the client goes away", async () => {
    upstream = await startScriptedUpstream({ script: [{ text, hold: new Promise(() => {}) }] });
    const controller = new AbortController();
    const pending = openai(upstream)
      .chat.completions.create({ model: "m", messages }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await upstream.waitForRequests(1);
    expect(upstream.activeRequests()).toBe(1);
    const busy = await upstream.waitForIdle(50).catch((e: unknown) => e);
    expect(TimeoutError.isInstance(busy)).toBe(true);
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await upstream.waitForIdle();
    expect(upstream.activeRequests()).toBe(0);
  });

  it("answers 500 with the provider's body when a responder throws", async () => {
    upstream = await startScriptedUpstream({
      fallback: () => {
        throw new Error("no plan for this");
      },
    });
    const error = (await openai(upstream)
      .chat.completions.create({ model: "m", messages })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(500);
    expect(error.message).toContain("no plan for this");
  });

  it("answers unknown routes with 404", async () => {
    upstream = await startScriptedUpstream();
    const response = await fetch(`${upstream.url}/v1/embeddings`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect((await response.json()).error.message).toBe("Invalid URL (POST /v1/embeddings)");
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("lifecycle", () => {
  it("close() ends stalled streams, destroys sockets, refuses new connections and is idempotent", async () => {
    upstream = await startScriptedUpstream({ script: [{ text, stallAfterChunks: 1 }] });
    const stream = await openai(upstream).chat.completions.create({
      model: "m",
      messages,
      stream: true,
    });
    const consumed = (async () => {
      for await (const _chunk of stream) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(upstream.openConnections()).toBe(1);
    await Promise.all([upstream.close(), upstream.close()]);
    expect(upstream.openConnections()).toBe(0);
    expect(await consumed).toBeInstanceOf(Error);
    await expect(fetch(`${upstream.url}/v1/models`)).rejects.toThrow();
    await upstream.close();
  });

  it("waitForRequests resolves on arrival, times out with TimeoutError, and fails on close", async () => {
    upstream = await startScriptedUpstream();
    const waiting = upstream.waitForRequests(2);
    const client = openai(upstream);
    await client.chat.completions.create({ model: "m", messages });
    await client.chat.completions.create({ model: "m", messages });
    await waiting;
    await upstream.waitForRequests(1);

    const timedOut = await upstream.waitForRequests(3, 50).catch((e: unknown) => e);
    expect(TimeoutError.isInstance(timedOut)).toBe(true);

    const cut = upstream.waitForRequests(3).catch((e: unknown) => e);
    await upstream.close();
    expect(AbortedError.isInstance(await cut)).toBe(true);
  });

  it("keeps one server for both wires, consuming one queue in arrival order", async () => {
    upstream = await startScriptedUpstream();
    upstream.enqueue({ text: "to openai" }, { text: "to anthropic" });
    const first = await openai(upstream).chat.completions.create({ model: "m", messages });
    const second = await anthropic(upstream).messages.create(anthropicBase);
    expect(first.choices[0]!.message.content).toBe("to openai");
    expect(second.content).toEqual([{ type: "text", text: "to anthropic" }]);
    expect(upstream.requests.map((r) => r.wire)).toEqual(["openai", "anthropic"]);
  });
});
