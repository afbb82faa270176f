import { afterEach, describe, expect, it, vi } from "vitest";
import { closeServers, type Handler, json, REFUSED_URL, serve } from "../../test/helpers/serve.js";
import {
  AbortedError,
  type AiProxyError,
  TimeoutError,
  toOpenAIError,
  UpstreamError,
} from "../errors.js";
import { fetchUpstream, upstreamErrorFrom } from "./upstream.js";

afterEach(async () => {
  vi.useRealTimers();
  await closeServers();
});

const ok = json(200, { ok: true });
const hang: Handler = () => {};

const post = { method: "POST", body: "{}" } satisfies RequestInit;
const fast = { baseDelayMs: 5, maxDelayMs: 2_000 };

async function rejection(promise: Promise<unknown>): Promise<AiProxyError> {
  try {
    await promise;
  } catch (error) {
    return error as AiProxyError;
  }
  throw new Error("expected a rejection");
}

describe("fetchUpstream", () => {
  it("returns a 2xx response with a signal and release()", async () => {
    const upstream = await serve(ok);
    const { response, signal, release } = await fetchUpstream(upstream.url, post);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(signal.aborted).toBe(false);
    release();
    expect(upstream.hits).toHaveLength(1);
  });

  it.each([429, 500, 503])("retries %i, then succeeds", async (status) => {
    const upstream = await serve(json(status, { error: { message: "busy" } }), ok);
    const retries: number[] = [];
    const { response, release } = await fetchUpstream(upstream.url, post, {
      retry: fast,
      onRetry: ({ attempt, error }) => {
        retries.push(attempt);
        expect(UpstreamError.isInstance(error)).toBe(true);
        expect((error as UpstreamError).upstreamStatus).toBe(status);
      },
    });
    release();
    expect(response.status).toBe(200);
    expect(upstream.hits).toHaveLength(2);
    expect(retries).toEqual([1]);
  });

  it("retries up to maxRetries, then throws the last error", async () => {
    const upstream = await serve(json(503, { error: { message: "overloaded" } }));
    const error = await rejection(
      fetchUpstream(upstream.url, post, { retry: { ...fast, maxRetries: 3 } }),
    );
    expect(upstream.hits).toHaveLength(4);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(error.status).toBe(502);
    expect(error.message).toBe("Upstream returned 503: overloaded");
  });

  it("does not retry a 400", async () => {
    const upstream = await serve(
      json(400, {
        error: { message: "bad model", type: "invalid_request_error", code: "model_not_found" },
      }),
      ok,
    );
    const error = await rejection(fetchUpstream(upstream.url, post, { retry: fast }));
    expect(upstream.hits).toHaveLength(1);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(error.status).toBe(400);
    expect(error.code).toBe("model_not_found");
    expect(error.message).toBe("Upstream returned 400: bad model");
  });

  it("honours Retry-After in seconds", async () => {
    const upstream = await serve(json(429, { error: "slow down" }, { "retry-after": "1" }), ok);
    const delays: number[] = [];
    const { release } = await fetchUpstream(upstream.url, post, {
      retry: fast,
      onRetry: ({ delayMs }) => delays.push(delayMs),
    });
    release();
    expect(delays).toEqual([1000]);
    const waited = upstream.hits[1]!.at - upstream.hits[0]!.at;
    expect(waited).toBeGreaterThanOrEqual(900);
  });

  it("honours retry-after-ms over Retry-After", async () => {
    const upstream = await serve(
      json(429, { error: "slow down" }, { "retry-after-ms": "300", "retry-after": "1" }),
      ok,
    );
    const delays: number[] = [];
    const { release } = await fetchUpstream(upstream.url, post, {
      retry: fast,
      onRetry: ({ delayMs }) => delays.push(delayMs),
    });
    release();
    expect(delays).toEqual([300]);
    const waited = upstream.hits[1]!.at - upstream.hits[0]!.at;
    expect(waited).toBeGreaterThanOrEqual(250);
  });

  it("throws a 429 at once when Retry-After is longer than maxDelayMs", async () => {
    const upstream = await serve(
      json(429, { error: { message: "quota" } }, { "retry-after": "120" }),
      ok,
    );
    const started = Date.now();
    const error = await rejection(fetchUpstream(upstream.url, post, { retry: fast }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(upstream.hits).toHaveLength(1);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(error.status).toBe(429);
    expect(error.type).toBe("rate_limit_error");
    expect(error.headers["retry-after"]).toBe("120");
    expect(toOpenAIError(error).headers).toEqual({ "retry-after": "120" });
  });

  it("times out a connect (no response headers), then retries", async () => {
    const upstream = await serve(hang, ok);
    const retried: AiProxyError[] = [];
    const { response, release } = await fetchUpstream(upstream.url, post, {
      connectTimeoutMs: 100,
      retry: fast,
      onRetry: ({ error }) => retried.push(error),
    });
    release();
    expect(response.status).toBe(200);
    expect(upstream.hits).toHaveLength(2);
    expect(retried).toHaveLength(1);
    expect(TimeoutError.isInstance(retried[0])).toBe(true);
  });

  it("throws a TimeoutError when every attempt times out", async () => {
    const upstream = await serve(hang);
    const error = await rejection(
      fetchUpstream(upstream.url, post, {
        connectTimeoutMs: 50,
        retry: { ...fast, maxRetries: 1 },
      }),
    );
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect(error.status).toBe(504);
    expect(upstream.hits).toHaveLength(2);
  });

  it("the overall timeout stops retries with a TimeoutError", async () => {
    const upstream = await serve(json(503, { error: "down" }));
    const started = Date.now();
    const error = await rejection(
      fetchUpstream(upstream.url, post, {
        timeoutMs: 300,
        retry: { maxRetries: 50, baseDelayMs: 100, maxDelayMs: 100 },
      }),
    );
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect(error.message).toContain("Upstream request timed out");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("retries a refused connection as a 502 with the cause, not the key", async () => {
    const error = await rejection(
      fetchUpstream(REFUSED_URL, post, {
        retry: { ...fast, maxRetries: 1 },
        secrets: ["sk-xyz-123"],
      }),
    );
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as UpstreamError).upstreamStatus).toBe(0);
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/^Upstream unreachable: .*ECONNREFUSED/);
  });

  it("an abort cancels a hanging attempt promptly with an AbortedError", async () => {
    const controller = new AbortController();
    // Aborted once the request is at the server, which never answers it.
    const upstream = await serve(() => controller.abort());
    const started = Date.now();
    const error = await rejection(
      fetchUpstream(upstream.url, post, { signal: controller.signal, retry: fast }),
    );
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(upstream.hits).toHaveLength(1);
  });

  it("an abort during a Retry-After wait stops at once", async () => {
    const upstream = await serve(json(503, { error: "later" }, { "retry-after": "10" }));
    const controller = new AbortController();
    const error = await rejection(
      fetchUpstream(upstream.url, post, {
        signal: controller.signal,
        retry: { maxDelayMs: 20_000 },
        // Runs just after the wait began.
        onRetry: () => queueMicrotask(() => controller.abort()),
      }),
    );
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(upstream.hits).toHaveLength(1);
  });

  it("an already-aborted signal makes no request", async () => {
    const upstream = await serve(ok);
    const error = await rejection(
      fetchUpstream(upstream.url, post, { signal: AbortSignal.abort() }),
    );
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(upstream.hits).toHaveLength(0);
  });

  it("never puts the API key in an error message, even when the upstream echoes it", async () => {
    const key = "sk-proj-SECRET0123456789";
    const upstream = await serve((req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${req.headers.authorization}. Key ${key} is revoked.`,
            code: "invalid_api_key",
          },
        }),
      );
    });
    const error = await rejection(
      fetchUpstream(
        upstream.url,
        { ...post, headers: { authorization: `Bearer ${key}` } },
        { retry: fast, secrets: [key] },
      ),
    );
    expect(upstream.hits[0]!.headers.authorization).toBe(`Bearer ${key}`);
    expect(error.status).toBe(401);
    expect(error.message).not.toContain(key);
    expect(error.message).toContain("[REDACTED]");
    expect(JSON.stringify(toOpenAIError(error))).not.toContain(key);
  });

  it("redacts the key from a non-JSON error body too", async () => {
    const key = "sk-ant-KEY-abcdef";
    const upstream = await serve((_req, res) => {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(`bad request for key=${key}`);
    });
    const error = await rejection(fetchUpstream(upstream.url, post, { secrets: [key] }));
    expect(error.message).toBe("Upstream returned 400: bad request for key=[REDACTED]");
  });

  it("does not retry once a 2xx response is returned, even if its body then fails", async () => {
    let drop!: () => void;
    const upstream = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: partial\n\n");
      drop = () => res.destroy();
    }, ok);
    const { response, release } = await fetchUpstream(upstream.url, post, { retry: fast });
    // The connection breaks only once the client holds the response.
    drop();
    await expect(response.text()).rejects.toThrow();
    release();
    expect(upstream.hits).toHaveLength(1);
  });

  it("an abort after the headers cancels reading the body", async () => {
    const upstream = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":');
    });
    const controller = new AbortController();
    const { response, release } = await fetchUpstream(upstream.url, post, {
      signal: controller.signal,
    });
    const started = Date.now();
    const reading = response.text();
    controller.abort();
    await expect(reading).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    release();
  });

  it("the overall timeout covers reading the body, not the connect timeout", async () => {
    // The code's own timers are the subject: only they run on the fake clock.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let finish!: () => void;
    const upstream = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":');
      finish = () => res.end("1}");
    });
    // The body takes longer than the connect timeout: that must not cut it.
    const first = await fetchUpstream(upstream.url, post, { connectTimeoutMs: 50 });
    const body = first.response.json();
    await vi.advanceTimersByTimeAsync(150);
    finish();
    expect(await body).toEqual({ partial: 1 });
    first.release();

    const stalled = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":');
    });
    const second = await fetchUpstream(stalled.url, post, { timeoutMs: 150 });
    const started = Date.now();
    const reading = expect(second.response.text()).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(150);
    await reading;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(TimeoutError.isInstance(second.signal.reason)).toBe(true);
    second.release();
  });

  it("a stalled error body is cut by the connect timeout and still reports the status", async () => {
    const upstream = await serve((_req, res) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.write('{"error":');
    });
    const started = Date.now();
    const error = await rejection(
      fetchUpstream(upstream.url, post, { connectTimeoutMs: 100, retry: { maxRetries: 0 } }),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect((error as UpstreamError).upstreamStatus).toBe(503);
  });

  it("an abort while reading an error body is an AbortedError, not the upstream's 400", async () => {
    const controller = new AbortController();
    const upstream = await serve((_req, res) => {
      res.writeHead(400, { "content-type": "application/json" });
      // Aborted once the start of the error body is on its way, the rest never sent.
      res.write('{"error":', () => controller.abort());
    });
    const error = await rejection(fetchUpstream(upstream.url, post, { signal: controller.signal }));
    expect(AbortedError.isInstance(error)).toBe(true);
  });

  it("uses the given fetch implementation", async () => {
    const calls: string[] = [];
    const { response, release } = await fetchUpstream("http://upstream.invalid/x", post, {
      fetch: async (input) => {
        calls.push(String(input));
        return new Response("{}", { status: 200 });
      },
    });
    release();
    expect(response.status).toBe(200);
    expect(calls).toEqual(["http://upstream.invalid/x"]);
  });
});

describe("upstreamErrorFrom", () => {
  it.each([
    [{ error: { message: "m1", code: "c1" } }, "m1", "c1"],
    [{ error: { message: "m2", type: "overloaded_error" } }, "m2", "overloaded_error"],
    [{ error: "plain string" }, "plain string", "upstream_error"],
    [{ message: "top-level" }, "top-level", "upstream_error"],
  ])("reads the provider's message and code from %j", async (body, message, code) => {
    const error = await upstreamErrorFrom(new Response(JSON.stringify(body), { status: 418 }));
    expect(error.message).toBe(`Upstream returned 418: ${message}`);
    expect(error.code).toBe(code);
    expect(error.status).toBe(418);
  });

  it("falls back to the status text for an empty body, and caps a long one", async () => {
    const empty = await upstreamErrorFrom(
      new Response("", { status: 502, statusText: "Bad Gateway" }),
    );
    expect(empty.message).toBe("Upstream returned 502: Bad Gateway");
    const long = await upstreamErrorFrom(new Response("x".repeat(10_000), { status: 500 }));
    expect(long.message.length).toBeLessThan(2_100);
  });

  it("reads Retry-After", async () => {
    const error = await upstreamErrorFrom(
      new Response("{}", { status: 429, headers: { "retry-after": "5" } }),
    );
    expect(error.retryAfter).toBe(5);
    expect(error.headers["retry-after"]).toBe("5");
  });
});

describe("redirects", () => {
  it("does not follow one, does not retry it, and says what to change", async () => {
    const target = await serve(ok);
    const redirecting = await serve((_req, res) => {
      res.writeHead(307, { location: target.url });
      res.end();
    });
    const error = await rejection(fetchUpstream(redirecting.url, post, { retry: fast }));
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(error.status).toBe(502);
    expect(error.message).toContain("redirect");
    expect(error.message).toContain("base URL");
    // The credential-carrying POST never reached the other address.
    expect(target.hits).toHaveLength(0);
    expect(redirecting.hits).toHaveLength(1);
  });
});
