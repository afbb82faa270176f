import { request as httpRequest } from "node:http";
import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedGateway } from "../helpers/in-process.js";

/** Bad, huge, slow and random input: always a 2xx or a 4xx with an OpenAI error, never a 500. */

let upstream: ScriptedUpstream;
let served: Awaited<ReturnType<typeof servedGateway>>;

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  served = await servedGateway(
    {
      server: { body_limit: "1mb" },
      backends: [
        { name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-in-1234" },
      ],
      assistants: [{ name: "a", backend: "up", model: "m" }],
    },
    { requestReceiveTimeoutMs: 1500 },
  );
});
afterAll(async () => {
  await served?.close();
  await upstream.close();
});

async function post(path: string, body: string, method = "POST") {
  const response = await fetch(`${served.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: method === "GET" ? undefined : body,
  });
  const text = await response.text();
  return { status: response.status, text };
}

function expectOpenAIError(text: string) {
  const { error } = JSON.parse(text);
  expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof error.message).toBe("string");
  expect(typeof error.type).toBe("string");
  expect(error.param === null || typeof error.param === "string").toBe(true);
  expect(text).not.toMatch(/\n\s+at .*\.(js|ts):\d+/); // no stack trace
}

describe("oversized and slow bodies", () => {
  it("answers a 100 MB body with 413 without reading all of it", async () => {
    const chunk = Buffer.alloc(1024 * 1024, "a");
    let sent = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${served.url}/v1/chat/completions`);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": String(100 * chunk.length),
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", (error) => (sent > 0 ? resolve(413) : reject(error)));
      const write = () => {
        while (sent < 100) {
          sent++;
          if (!req.write(chunk)) return void req.once("drain", write);
        }
        req.end();
      };
      write();
    });
    expect(status).toBe(413);
    expect(sent).toBeLessThan(100);
  });

  it("answers a chunked body that outgrows the limit with 413 (no length to judge it by)", async () => {
    const chunk = Buffer.alloc(256 * 1024, " ");
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${served.url}/v1/chat/completions`);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      // 1.25 MB of whitespace around a valid request: only its size is wrong.
      req.write("{");
      for (let i = 0; i < 5; i++) req.write(chunk);
      req.end(`"model":"a","messages":[{"role":"user","content":"hi"}]}`);
    });
    expect(status).toBe(413);
  });

  it("reads a body of declared length on the server's direct path", async () => {
    const body = JSON.stringify({
      model: "a",
      messages: [{ role: "user", content: "é".repeat(40_000) }],
    });
    const { status, text } = await post("/v1/chat/completions", body);
    expect(status).toBe(200);
    expect(JSON.parse(text).object).toBe("chat.completion");
    const { status: tooBig, text: error } = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "a", messages: [{ role: "user", content: "x".repeat(1_100_000) }] }),
    );
    expect(tooBig).toBe(413);
    expectOpenAIError(error);
  });

  it("closes a connection that trickles its body slower than the receive timeout", async () => {
    const url = new URL(`${served.url}/v1/chat/completions`);
    const started = performance.now();
    // Ends on the server's answer or its close; a server that never gives up
    // fails the test on its own timeout.
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { "content-type": "application/json", "content-length": "1000" },
        },
        (res) => {
          res.resume();
          resolve(`status ${res.statusCode}`);
        },
      );
      req.on("error", () => resolve("closed"));
      req.write("{");
      // The trickle is the thing under test: a byte every 200 ms keeps the
      // socket busy but never finishes the body.
      const timer = setInterval(() => req.write(" "), 200);
      req.on("close", () => {
        clearInterval(timer);
        resolve("closed");
      });
    });
    expect(["status 408", "closed"]).toContain(outcome);
    // Receive timeout 1.5 s; the bound is generous (5x) against a loaded machine.
    expect(performance.now() - started).toBeLessThan(7_500);
  });
});

describe("odd but valid input", () => {
  it("takes a huge messages array within the body limit", async () => {
    upstream.enqueue({ text: "fine" });
    const messages = Array.from({ length: 20_000 }, (_, i) => ({ role: "user", content: `m${i}` }));
    const result = await post("/v1/chat/completions", JSON.stringify({ model: "a", messages }));
    expect(result.status).toBe(200);
  });

  it.each([
    ["emoji and RTL", "héllo 👋🏽 مرحبا ‮reversed"],
    ["a NUL and control characters", "a\u0000b\u0007c"],
    ["a lone surrogate", "\ud800 alone"],
    ["zero-width and combining marks", "e\u0301\u200b\u200d"],
  ])("passes %s through untouched", async (_name, content) => {
    upstream.enqueue({ text: "ok" });
    const result = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "a", messages: [{ role: "user", content }] }),
    );
    expect(result.status).toBe(200);
    expect(upstream.requests.at(-1)?.body.messages.at(-1).content).toBe(content);
  });
});

describe("random bodies (fast-check)", () => {
  const anyJson = fc.jsonValue({ maxDepth: 4 });
  const chatish = fc.record(
    {
      model: fc.oneof(fc.constant("a"), fc.string()),
      messages: fc.oneof(
        fc.array(
          fc.record(
            {
              role: fc.constantFrom("system", "user", "assistant", "tool", "developer", "x"),
              content: fc.oneof(fc.string(), fc.constant(null), anyJson),
              tool_call_id: fc.string(),
              tool_calls: anyJson,
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
        anyJson,
      ),
      stream: fc.oneof(fc.boolean(), anyJson),
      temperature: fc.oneof(fc.double(), anyJson),
      tools: anyJson,
      n: fc.oneof(fc.integer(), anyJson),
    },
    { requiredKeys: [] },
  );

  it("/v1/chat/completions only ever answers 2xx or 4xx, and the server stays up", async () => {
    upstream.setFallback(() => ({ text: "ok" }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(chatish, anyJson), fc.boolean(), async (body, raw) => {
        const text = raw ? JSON.stringify(body).slice(0, -1) : JSON.stringify(body);
        const result = await post("/v1/chat/completions", text ?? "");
        expect(result.status, result.text).toBeLessThan(500);
        if (result.status >= 400) expectOpenAIError(result.text);
      }),
      { numRuns: 150 },
    );
    expect((await fetch(`${served.url}/health`)).status).toBe(200);
  });

  it("/admin/* only ever answers 2xx or 4xx", async () => {
    const paths = fc.constantFrom(
      "/admin/assistants/x",
      "/admin/backends/x",
      "/admin/mcp/x",
      "/admin/config",
      "/admin/zzz/x",
    );
    await fc.assert(
      fc.asyncProperty(
        paths,
        fc.constantFrom("PUT", "DELETE", "GET"),
        anyJson,
        async (path, method, body) => {
          const result = await post(path, method === "GET" ? "" : JSON.stringify(body), method);
          expect(result.status, result.text).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    expect((await fetch(`${served.url}/health`)).status).toBe(200);
  });
});
