import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openAIError, servedGateway } from "../helpers/in-process.js";

/** Upstream faults injected on loopback; each asserts what the client sees and what is left open. */

let upstream: ScriptedUpstream;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  upstream = await startScriptedUpstream();
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  // Nothing left pending upstream: every abandoned request is closed within a second.
  await upstream.waitForIdle(1000);
});
afterAll(async () => {
  await upstream.close();
});

async function serve(backend: Record<string, unknown> = {}) {
  const served = await servedGateway({
    backends: [
      {
        name: "up",
        kind: "openai",
        base_url: upstream.openaiBaseUrl,
        api_key: "sk-fault-1234",
        ...backend,
      },
    ],
    assistants: [{ name: "a", backend: "up", model: "m" }],
  });
  closers.push(served.close);
  const client = new OpenAI({ apiKey: "x", baseURL: `${served.url}/v1`, maxRetries: 0 });
  return { ...served, client };
}

const ask = { model: "a", messages: [{ role: "user" as const, content: "hi" }] };

describe("rate limits and server errors", () => {
  it("retries a 429 with Retry-After twice, waits as told, then succeeds", async () => {
    const { client } = await serve({ max_retries: 2 });
    upstream.enqueue(
      { status: 429, retryAfter: 1 },
      { status: 429, retryAfter: 1 },
      { text: "finally" },
    );
    const before = upstream.requests.length;
    const completion = await client.chat.completions.create(ask);
    expect(completion.choices[0]?.message.content).toBe("finally");
    const attempts = upstream.requests.slice(before);
    expect(attempts).toHaveLength(3);
    // Honoured Retry-After: each retry came at least about a second after the one before.
    expect(attempts[1]!.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(900);
    expect(attempts[2]!.receivedAt - attempts[1]!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it("passes a 429 whose Retry-After exceeds what it may wait straight to the client", async () => {
    const { url } = await serve();
    upstream.enqueue({ status: 429, retryAfter: 3600, errorMessage: "quota" });
    const before = upstream.requests.length;
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3600");
    expect((await openAIError(response)).type).toBe("rate_limit_error");
    expect(upstream.requests.length - before).toBe(1);
  });

  it("retries repeated 500s with backoff, then answers 502 with an OpenAI error", async () => {
    const { client } = await serve({ max_retries: 2 });
    upstream.enqueue(
      { status: 500, errorMessage: "boom" },
      { status: 500, errorMessage: "boom" },
      { status: 500, errorMessage: "boom" },
    );
    const before = upstream.requests.length;
    const error = await client.chat.completions.create(ask).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(upstream.requests.length - before).toBe(3);
  });
});

describe("timeouts", () => {
  it("answers 504 when the upstream never sends headers", async () => {
    const { url } = await serve({ connect_timeout: 1, max_retries: 0 });
    upstream.enqueue({ text: "too late", delayMs: 30_000 });
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask),
    });
    expect(response.status).toBe(504);
    expect((await openAIError(response)).type).toBe("timeout_error");
  });

  it("ends a stream that stalls after its first chunk with an error event and no [DONE]", async () => {
    const { url } = await serve({ timeout: 2, max_retries: 0 });
    upstream.enqueue({ text: "one two three four", stallAfterChunks: 2 });
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...ask, stream: true }),
    });
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain('"error"');
    expect(body).not.toContain("[DONE]");
  });
});

describe("broken streams", () => {
  it("makes the official client throw when the upstream drops the socket mid-stream", async () => {
    const { client } = await serve({ max_retries: 0 });
    upstream.enqueue({ text: "a b c d e f g h", dropAfterChunks: 3 });
    const stream = await client.chat.completions.create({ ...ask, stream: true });
    const read = async () => {
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    };
    await expect(read()).rejects.toThrow();
  });
});

describe("client disconnects", () => {
  it("twenty clients leaving mid-stream leave no upstream request open, and the next request succeeds", async () => {
    const { url, client } = await serve({ max_retries: 0 });
    const controllers = Array.from({ length: 20 }, () => new AbortController());
    // Each stalls mid-stream: only its client leaving can end it.
    for (const _ of controllers)
      upstream.enqueue({ text: "a b c d e f g h i j", stallAfterChunks: 3 });
    const before = upstream.requests.length;
    const readers = await Promise.all(
      controllers.map(async (controller) => {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...ask, stream: true }),
          signal: controller.signal,
        });
        const reader = response.body?.getReader();
        await reader?.read();
        return reader;
      }),
    );
    await upstream.waitForRequests(before + 20);
    expect(upstream.activeRequests()).toBe(20);
    for (const controller of controllers) controller.abort();
    await Promise.all(readers.map((reader) => reader?.cancel().catch(() => {})));
    await upstream.waitForIdle(1000);
    expect(upstream.activeRequests()).toBe(0);
    upstream.enqueue({ text: "still here" });
    const completion = await client.chat.completions.create(ask);
    expect(completion.choices[0]?.message.content).toBe("still here");
  });
});
