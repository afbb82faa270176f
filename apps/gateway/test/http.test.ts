import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { gatewayFor, json, openAIError } from "./helpers/in-process.js";
import { closeAfterEach, upstreamForFile } from "./helpers/per-file.js";

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

const upstream = await upstreamForFile();
const closers = closeAfterEach();

function baseConfig(extra: Record<string, unknown> = {}) {
  return {
    backends: [
      { name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-up-1234" },
    ],
    assistants: [{ name: "plain", backend: "up", model: "m", description: "no tools" }],
    ...extra,
  };
}

async function open(extra: Record<string, unknown> = {}, options = {}) {
  const gateway = await gatewayFor(baseConfig(extra), options);
  closers.push(() => gateway.close());
  return gateway;
}

describe("public routes", () => {
  it("serves /, /health, /ready and turns /ready to 503 while draining", async () => {
    const gateway = await open();
    const root = await gateway.call("/");
    expect(root.status).toBe(200);
    expect(await root.json()).toMatchObject({ name: "aiproxy", version: PACKAGE_VERSION });
    expect(await (await gateway.call("/health")).json()).toEqual({ status: "ok" });
    expect((await gateway.call("/ready")).status).toBe(200);
    gateway.drain();
    const ready = await gateway.call("/ready");
    expect(ready.status).toBe(503);
    expect(ready.headers.get("connection")).toBe("close");
  });

  it("lists assistants as models, and one by id", async () => {
    const gateway = await open();
    const list = await (await gateway.call("/v1/models")).json();
    expect(list).toEqual({
      object: "list",
      data: [
        { id: "plain", object: "model", created: 0, owned_by: "aiproxy", description: "no tools" },
      ],
    });
    expect((await gateway.call("/v1/models/plain")).status).toBe(200);
    const missing = await gateway.call("/v1/models/other");
    expect(missing.status).toBe(404);
    expect((await openAIError(missing)).param).toBe("model");
  });

  it("answers unknown routes with a 404 in OpenAI's error shape", async () => {
    const gateway = await open();
    const response = await gateway.call("/v2/things");
    expect(response.status).toBe(404);
    expect(await openAIError(response)).toMatchObject({
      type: "not_found_error",
      code: "not_found",
    });
  });

  it("leaves out assistants on a hosted API without a key, and says why on use", async () => {
    const gateway = await open({
      backends: [
        { name: "up", kind: "openai", base_url: upstream.openaiBaseUrl },
        { name: "openai", kind: "openai" },
      ],
      assistants: [
        { name: "plain", backend: "up", model: "m" },
        { name: "gpt", backend: "openai", model: "gpt-4o-mini" },
      ],
    });
    const list = (await (await gateway.call("/v1/models")).json()) as { data: { id: string }[] };
    expect(list.data.map((m) => m.id)).toEqual(["plain"]);
    // One by id agrees with the list.
    const one = await gateway.call("/v1/models/gpt");
    expect(one.status).toBe(404);
    expect((await openAIError(one)).param).toBe("model");
    expect((await gateway.call("/v1/models/plain")).status).toBe(200);
    const response = await gateway.call(
      "/v1/chat/completions",
      json({ model: "gpt", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(response.status).toBe(503);
    expect((await openAIError(response)).message).toContain("no api_key for api.openai.com");
  });
});

describe("POST /v1/chat/completions input", () => {
  const cases: Array<[string, unknown, string | null]> = [
    ["a missing model", { messages: [{ role: "user", content: "x" }] }, "model"],
    ["no messages", { model: "plain", messages: [] }, "messages"],
    [
      "a wrong role",
      { model: "plain", messages: [{ role: "robot", content: "x" }] },
      "messages[0].role",
    ],
    [
      "a wrong type",
      { model: "plain", messages: [{ role: "user", content: 5 }] },
      "messages[0].content",
    ],
    [
      "an out-of-range temperature",
      { model: "plain", messages: [{ role: "user", content: "x" }], temperature: 7 },
      "temperature",
    ],
    ["n > 1", { model: "plain", messages: [{ role: "user", content: "x" }], n: 2 }, "n"],
    ["a JSON array", [1, 2], null],
  ];
  it.each(cases)("rejects %s with a 400 naming the field", async (_name, body, param) => {
    const gateway = await open();
    const response = await gateway.call("/v1/chat/completions", json(body));
    expect(response.status).toBe(400);
    const error = await openAIError(response);
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe(param);
  });

  it("rejects malformed JSON and an empty body with a 400", async () => {
    const gateway = await open();
    for (const body of ["{not json", ""]) {
      const response = await gateway.call("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(response.status).toBe(400);
      expect((await openAIError(response)).type).toBe("invalid_request_error");
    }
  });

  it("ignores unknown fields and passes sampling parameters through", async () => {
    const gateway = await open();
    upstream.enqueue({ text: "ok" });
    const response = await gateway.call(
      "/v1/chat/completions",
      json({
        model: "plain",
        messages: [{ role: "user", content: "x" }],
        temperature: 0.3,
        seed: 7,
        some_future_field: { a: 1 },
      }),
    );
    expect(response.status).toBe(200);
    const sent = upstream.requests.at(-1)?.body;
    expect(sent).toMatchObject({ model: "m", temperature: 0.3, seed: 7 });
    expect(sent).not.toHaveProperty("some_future_field");
  });

  it("answers 413 with an OpenAI error for a body over the limit", async () => {
    const gateway = await open({ server: { body_limit: "1kb" } });
    const response = await gateway.call(
      "/v1/chat/completions",
      json({ model: "plain", messages: [{ role: "user", content: "x".repeat(4096) }] }),
    );
    expect(response.status).toBe(413);
    expect(await openAIError(response)).toMatchObject({ code: "payload_too_large" });
  });

  it("passes an upstream 429 on with its Retry-After when the wait is too long to retry", async () => {
    const gateway = await open();
    upstream.enqueue({ status: 429, retryAfter: 120, errorMessage: "slow down" });
    const response = await gateway.call(
      "/v1/chat/completions",
      json({ model: "plain", messages: [{ role: "user", content: "x" }] }),
    );
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("120");
    expect((await openAIError(response)).type).toBe("rate_limit_error");
  });
});

describe("auth on /v1", () => {
  it("accepts a static key from Authorization, X-API-Key or ?apikey=, and refuses others with 401", async () => {
    const gateway = await open({ proxy_api_keys: ["k-1234567890"] });
    expect(
      (await gateway.call("/v1/models", { headers: { authorization: "Bearer k-1234567890" } }))
        .status,
    ).toBe(200);
    expect(
      (await gateway.call("/v1/models", { headers: { "x-api-key": "k-1234567890" } })).status,
    ).toBe(200);
    expect((await gateway.call("/v1/models?apikey=k-1234567890")).status).toBe(200);
    const refused = await gateway.call("/v1/models", { headers: { authorization: "Bearer nope" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await openAIError(refused)).type).toBe("authentication_error");
    // Health stays open for load balancers.
    expect((await gateway.call("/health")).status).toBe(200);
  });

  it("refuses to start open on a non-loopback address unless allowed", async () => {
    await expect(open({}, { host: "0.0.0.0" })).rejects.toThrow(/proxy_api_keys/);
    const allowed = await open({}, { host: "0.0.0.0", allowOpen: true });
    expect((await allowed.call("/v1/models")).status).toBe(200);
  });
});

describe("CORS", () => {
  it("answers preflight for a configured origin only", async () => {
    const gateway = await open({ server: { cors_origins: ["http://app.example"] } });
    const preflight = (origin: string) =>
      gateway.call("/v1/chat/completions", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      });
    const allowed = await preflight("http://app.example");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://app.example");
    const other = await preflight("http://evil.example");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("sends no CORS headers by default", async () => {
    const gateway = await open();
    const response = await gateway.call("/v1/models", {
      headers: { origin: "http://app.example" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("the CLI", () => {
  const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 20_000 });

  it("prints its version, from package.json, and exits 0", () => {
    for (const flag of ["--version", "-v"]) {
      const result = run(flag);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`${PACKAGE_VERSION}\n`);
      expect(result.stderr).toBe("");
    }
  });

  it("prints its usage for --help, and names an unknown option without a stack trace", () => {
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: aiproxy/);
    expect(help.stdout).toContain("--version");
    const unknown = run("--nope");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("--nope");
    expect(unknown.stderr).toContain("Usage: aiproxy");
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});
