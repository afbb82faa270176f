import { afterEach, describe, expect, it } from "vitest";
import { closeServers, json, REFUSED_URL, serve } from "../../test/helpers/serve.js";
import { type AiProxyError, toOpenAIError, UpstreamError } from "../errors.js";
import {
  type ExchangeOptions,
  exchangeJson,
  exchangeStream,
  resolveExchange,
  type UpstreamBody,
} from "./exchange.js";
import type { AttemptInfo, RetryInfo } from "./upstream.js";

afterEach(closeServers);

const config = (url: string, options: ExchangeOptions = {}) =>
  resolveExchange(url, { "content-type": "application/json" }, undefined, {
    ...options,
    retry: { baseDelayMs: 5, ...options.retry },
  });

const identity = (body: Record<string, unknown>) => body;

async function rejection(promise: Promise<unknown>): Promise<AiProxyError> {
  try {
    await promise;
  } catch (error) {
    return error as AiProxyError;
  }
  throw new Error("expected a rejection");
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("exchangeJson", () => {
  it("returns what parse makes of the body, with the status", async () => {
    const upstream = await serve(json(200, { ok: true }));
    const result = await exchangeJson(config(upstream.url), "{}", (body, status) => ({
      body,
      status,
    }));
    expect(result).toEqual({ body: { ok: true }, status: 200 });
  });

  it("reports every attempt and retry, numbered across statuses and broken bodies", async () => {
    const upstream = await serve(
      json(503, { error: { message: "busy" } }, { "retry-after": "0" }),
      (_req, res) => {
        // A body cut off half way: retried, since nothing reached the caller.
        res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
        res.write('{"partial":', () => res.destroy());
      },
      json(200, { ok: true }),
    );
    const attempts: AttemptInfo[] = [];
    const retries: RetryInfo[] = [];
    const result = await exchangeJson(
      config(upstream.url, {
        onAttempt: (info) => attempts.push(info),
        onRetry: (info) => retries.push(info),
      }),
      "{}",
      identity,
    );
    expect(result).toEqual({ ok: true });
    expect(upstream.hits).toHaveLength(3);
    expect(attempts.map(({ attempt, status }) => ({ attempt, status }))).toEqual([
      { attempt: 1, status: 503 },
      { attempt: 2, status: 200 },
      { attempt: 3, status: 200 },
    ]);
    expect((attempts[0]!.error as UpstreamError).upstreamStatus).toBe(503);
    expect(attempts[1]?.error).toBeUndefined();
    for (const info of attempts) expect(info.durationMs).toBeGreaterThanOrEqual(0);
    expect(retries.map(({ attempt }) => attempt)).toEqual([1, 2]);
    expect(retries[0]?.delayMs).toBe(0);
    expect(retries[0]?.error.message).toContain("busy");
    expect(retries[1]?.error.message).toContain("mid-response");
  });

  it("reports an attempt that got no response with status 0", async () => {
    const attempts: AttemptInfo[] = [];
    const retries: RetryInfo[] = [];
    const error = await rejection(
      exchangeJson(
        config(REFUSED_URL, {
          maxRetries: 1,
          onAttempt: (info) => attempts.push(info),
          onRetry: (info) => retries.push(info),
        }),
        "{}",
        identity,
      ),
    );
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(attempts.map(({ attempt, status }) => ({ attempt, status }))).toEqual([
      { attempt: 1, status: 0 },
      { attempt: 2, status: 0 },
    ]);
    expect(attempts.every((info) => info.error !== undefined)).toBe(true);
    expect(retries.map(({ attempt }) => attempt)).toEqual([1]);
  });

  it("turns what parse throws by accident into a 502 that names no JS internals, once", async () => {
    const upstream = await serve(json(200, { choices: "nope" }));
    const error = await rejection(
      exchangeJson(config(upstream.url), "{}", (body) =>
        (body.choices as unknown as unknown[]).find(() => true),
      ),
    );
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(error.status).toBe(502);
    expect(error.message).toBe("Upstream sent a response of a shape this adapter cannot read");
    expect(upstream.hits).toHaveLength(1);
  });

  it("fails at once on a declared Content-Length over maxResponseBytes", async () => {
    const upstream = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "5000" });
      res.write("{");
    });
    const error = await rejection(
      exchangeJson(config(upstream.url, { maxResponseBytes: 1000 }), "{}", identity),
    );
    expect(error.status).toBe(502);
    expect(error.message).toContain("max_response_bytes (1000 bytes)");
    expect(upstream.hits).toHaveLength(1);
  });
});

describe("exchangeStream", () => {
  it("yields what decode makes of the events, and retries a failure before output", async () => {
    const upstream = await serve(json(500, { error: "down" }), (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end("data: one\n\ndata: two\n\n");
    });
    const retries: RetryInfo[] = [];
    const decode = async function* (body: UpstreamBody) {
      for await (const event of body.events()) yield event.data;
    };
    const out = await drain(
      exchangeStream(config(upstream.url, { onRetry: (info) => retries.push(info) }), "{}", decode),
    );
    expect(out).toEqual(["one", "two"]);
    expect(retries.map(({ attempt }) => attempt)).toEqual([1]);
  });

  it("bounds one event by maxEventBytes, counting every line of it", async () => {
    const line = `data: ${"x".repeat(100)}\n`;
    const upstream = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      // Small events pass; one of many lines, each under the limit, does not.
      res.write("data: small\n\n");
      res.write(line.repeat(20));
    });
    const seen: string[] = [];
    const decode = async function* (body: UpstreamBody) {
      for await (const event of body.events()) yield event.data;
    };
    const error = await rejection(
      (async () => {
        for await (const data of exchangeStream(
          config(upstream.url, { maxEventBytes: 1000 }),
          "{}",
          decode,
        ))
          seen.push(data);
      })(),
    );
    expect(seen).toEqual(["small"]);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(error.message).toContain("max_event_bytes (1000 bytes)");
  });
});

describe("size limits against an endless upstream", () => {
  const GiB = 1024 ** 3;
  const MiB = 1024 ** 2;

  /**
   * Sends `head`, then filler until 1 GiB or the client closes the socket,
   * waiting for the socket to drain: the body is made on the fly, never held.
   */
  async function endless(contentType: string, head: string) {
    const state = { sent: 0, closed: undefined as unknown as Promise<unknown> };
    const filler = Buffer.alloc(64 * 1024, "a");
    const upstream = await serve(async (req, res) => {
      // Not events.once: it would reject on the socket's ECONNRESET, which is the point.
      state.closed = new Promise((resolve) => req.socket.once("close", resolve));
      req.socket.on("error", () => {});
      res.writeHead(200, { "content-type": contentType });
      res.write(head);
      while (state.sent < GiB && !res.destroyed) {
        state.sent += filler.length;
        if (!res.write(filler)) {
          await new Promise<void>((resolve) => {
            const go = () => {
              res.off("drain", go);
              res.off("close", go);
              resolve();
            };
            res.on("drain", go);
            res.on("close", go);
          });
        }
      }
      res.end();
    });
    return { upstream, state };
  }

  it("resolves the documented defaults: 32 MiB per body, 4 MiB per event", () => {
    const resolved = config("http://127.0.0.1:1/");
    expect(resolved.maxResponseBytes).toBe(32 * MiB);
    expect(resolved.maxEventBytes).toBe(4 * MiB);
  });

  it("a non-streamed body: fails naming the limit, closes the socket, holds at most the limit", async () => {
    const { upstream, state } = await endless("application/json", '{"text":"');
    // Below the 32 MiB default: fetch's per-chunk copies stay garbage until V8
    // collects them, about twice what was read, which the bound must leave room for.
    const limit = 8 * MiB;
    const before = process.memoryUsage().rss;
    const error = await rejection(
      exchangeJson(config(upstream.url, { maxResponseBytes: limit }), "{}", identity),
    );
    const grown = process.memoryUsage().rss - before;
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(toOpenAIError(error).status).toBe(502);
    expect(error.message).toContain(`max_response_bytes (${limit} bytes)`);
    await state.closed;
    expect(state.sent).toBeLessThan(GiB);
    expect(upstream.hits).toHaveLength(1);
    expect(grown).toBeLessThan(limit + 64 * MiB);
  });

  it("a never-ending SSE data: line: fails naming the limit, closes the socket, holds at most the limit", async () => {
    const { upstream, state } = await endless("text/event-stream", "data: ");
    const before = process.memoryUsage().rss;
    const error = await rejection(
      drain(exchangeStream(config(upstream.url), "{}", (body) => body.events())),
    );
    const grown = process.memoryUsage().rss - before;
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(toOpenAIError(error).status).toBe(502);
    expect(error.message).toContain("max_event_bytes (4194304 bytes)");
    await state.closed;
    expect(state.sent).toBeLessThan(GiB);
    expect(upstream.hits).toHaveLength(1);
    expect(grown).toBeLessThan(4 * MiB + 64 * MiB);
  });
});
