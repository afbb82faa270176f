import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFor, json, openAIError, put } from "../helpers/in-process.js";

/**
 * Input the gateway bounds where it enters: JSON nesting (server.max_json_depth),
 * the Content-Type of a body, and how much client text an error echoes.
 */

let upstream: ScriptedUpstream;
let gateway: Awaited<ReturnType<typeof gatewayFor>>;

const config = (server: Record<string, unknown> = {}) => ({
  server,
  backends: [{ name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-b-1" }],
  assistants: [{ name: "a", backend: "up", model: "m" }],
});

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  upstream.setFallback(() => ({ text: "ok" }));
  gateway = await gatewayFor(config(), { allowOpen: true });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

/**
 * A JSON Schema nested `levels` deep through `properties.a`, as JSON text:
 * JSON.stringify recurses and would overflow on such a value here too.
 */
function deepSchema(levels: number): string {
  const open = '{"type":"object","properties":{"a":';
  return `${open.repeat(levels)}{"type":"string"}${"}}".repeat(levels)}`;
}

/** A POST or PUT of JSON text spliced into a small body: `{"model":"a",...,<key>:<json>}`. */
function spliced(base: Record<string, unknown>, key: string, jsonText: string, method = "POST") {
  const head = JSON.stringify(base).slice(0, -1);
  return {
    method,
    headers: { "content-type": "application/json" },
    body: `${head},${JSON.stringify(key)}:${jsonText}}`,
  };
}

const ask = { model: "a", messages: [{ role: "user", content: "hi" }] };

async function expectStillServing() {
  const assistants = await gateway.call("/admin/assistants");
  expect(assistants.status).toBe(200);
  const names = ((await assistants.json()) as { data: { name: string }[] }).data.map((a) => a.name);
  expect(names).toEqual(["a"]);
  expect((await gateway.call("/admin/config")).status).toBe(200);
  const chat = await gateway.call("/v1/chat/completions", json(ask));
  expect(chat.status).toBe(200);
}

describe("JSON nesting (server.max_json_depth, default 64)", () => {
  it("answers deep tools[].function.parameters with a 400 naming the path", async () => {
    const tools = `[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}},{"type":"function","function":{"name":"g","parameters":${deepSchema(5_000)}}}]`;
    const response = await gateway.call("/v1/chat/completions", spliced(ask, "tools", tools));
    expect(response.status).toBe(400);
    const error = await openAIError(response);
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toMatch(/^tools\[1\]\.function\.parameters\.properties\.a\./);
    expect(error.param?.length).toBeLessThanOrEqual(200);
    expect(error.message).toContain("deeper than 64 levels at $.tools[1].function.parameters");
    await expectStillServing();
  });

  it("answers a deep response_format.json_schema.schema with a 400 naming the path", async () => {
    const format = `{"type":"json_schema","json_schema":{"name":"out","schema":${deepSchema(5_000)}}}`;
    const response = await gateway.call(
      "/v1/chat/completions",
      spliced(ask, "response_format", format),
    );
    expect(response.status).toBe(400);
    expect((await openAIError(response)).param).toMatch(/^response_format\.json_schema\.schema\./);
    await expectStillServing();
  });

  it("answers 100,000 levels of bare arrays with a 400, without overflowing the stack", async () => {
    const body = `{"model":"a","messages":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const response = await gateway.call("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(400);
    expect((await openAIError(response)).param).toMatch(/^messages(\[0\])+/);
    await expectStillServing();
  });

  it("refuses a deep admin PUT extra_body, in the admin's error shape, and applies nothing", async () => {
    const response = await gateway.call(
      "/admin/assistants/x",
      spliced(
        { backend: "up", model: "m" },
        "extra_body",
        `{"nested":${deepSchema(5_000)}}`,
        "PUT",
      ),
    );
    expect(response.status).toBe(400);
    const error = await openAIError(response);
    expect(error.param).toMatch(/^extra_body\.nested\.properties\.a\./);
    expect(error.message).toContain("server.max_json_depth");
    expect((await gateway.call("/admin/assistants/x")).status).toBe(404);
    await expectStillServing();
  });

  it("accepts a body exactly at a configured limit and refuses one level more", async () => {
    const strict = await gatewayFor(config({ max_json_depth: 4 }), { allowOpen: true });
    try {
      // body > messages > message > content parts > part: 5 levels.
      const parts = {
        ...ask,
        messages: [{ role: "user", content: [{ type: "text", text: "x" }] }],
      };
      const deep = await strict.call("/v1/chat/completions", json(parts));
      expect(deep.status).toBe(400);
      expect((await openAIError(deep)).param).toBe("messages[0].content[0]");
      const within = await strict.call("/v1/chat/completions", json(ask));
      expect(within.status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});

describe("Content-Type", () => {
  const body = JSON.stringify(ask);
  it.each([
    ["text/plain", "text/plain;charset=UTF-8"],
    ["a form", "application/x-www-form-urlencoded"],
    ["multipart", "multipart/form-data; boundary=x"],
    ["a JSON look-alike", "application/jsonp"],
  ])("answers a chat body sent as %s with 415", async (_label, type) => {
    const before = upstream.requests.length;
    const response = await gateway.call("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": type },
      body,
    });
    expect(response.status).toBe(415);
    const error = await openAIError(response);
    expect(error.type).toBe("invalid_request_error");
    expect(error.code).toBe("unsupported_media_type");
    expect(error.message).toContain("application/json");
    expect(upstream.requests.length).toBe(before);
  });

  it("answers a body with no Content-Type with 415", async () => {
    const request = new Request("http://127.0.0.1/v1/chat/completions", { method: "POST", body });
    request.headers.delete("content-type");
    const response = await gateway.app.fetch(request);
    expect(response.status).toBe(415);
    expect((await openAIError(response)).message).toContain("no Content-Type");
  });

  it.each([
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/vnd.api+json",
  ])("accepts %s", async (type) => {
    const response = await gateway.call("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": type },
      body,
    });
    expect(response.status).toBe(200);
  });

  it("answers an admin PUT sent as text/plain with 415 and applies nothing", async () => {
    const response = await gateway.call("/admin/assistants/x", {
      method: "PUT",
      body: JSON.stringify({ backend: "up", model: "m" }),
    });
    expect(response.status).toBe(415);
    expect((await openAIError(response)).code).toBe("unsupported_media_type");
    expect((await gateway.call("/admin/assistants/x")).status).toBe(404);
  });
});

describe("prototype-named keys", () => {
  it("a name whose toString is an object is a 422, not a crash while writing the message", async () => {
    // Found by the fuzz suite: String(value) calls the body's own toString.
    for (const kind of ["assistants", "backends", "mcp"]) {
      const response = await gateway.call(`/admin/${kind}/x`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: '{"name":{"toString":{},"valueOf":[]},"__proto__":{"admin":true}}',
      });
      expect(response.status).toBe(422);
      expect((await openAIError(response)).message).toBe(
        'name: a map does not match the name in the URL, "x"',
      );
    }
    await expectStillServing();
  });

  it("a chat body with __proto__ and constructor keys is answered like any other", async () => {
    const body =
      '{"__proto__":{"model":"missing"},"constructor":{"prototype":{}},"model":"a","messages":[{"role":"user","content":"hi","__proto__":null}]}';
    const response = await gateway.call("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(200);
    expect(({} as Record<string, unknown>).model).toBeUndefined();
  });
});

describe("client text echoed in errors is clipped", () => {
  const long = "m".repeat(10_000);

  async function expectClipped(response: Response, status: number) {
    expect(response.status).toBe(status);
    const { message } = await openAIError(response);
    expect(message.length).toBeLessThan(300);
    expect(message).toMatch(/m{90,99}…/);
    expect(message).not.toContain("m".repeat(100));
  }

  it("a 10,000-character model name in a chat request", async () => {
    await expectClipped(
      await gateway.call("/v1/chat/completions", json({ ...ask, model: long })),
      404,
    );
  });

  it("a 10,000-character name in /v1/models, admin paths and unknown routes", async () => {
    await expectClipped(await gateway.call(`/v1/models/${long}`), 404);
    await expectClipped(await gateway.call(`/admin/assistants/${long}`), 404);
    await expectClipped(await gateway.call(`/admin/${long}`), 404);
    await expectClipped(await gateway.call(`/${long}`), 404);
    await expectClipped(await gateway.call("/admin/backends/x", put({ name: long })), 422);
  });

  it("a 10,000-character key in the path of a bad field", async () => {
    const response = await gateway.call(
      "/v1/chat/completions",
      json({ ...ask, metadata: { [long]: 1 } }),
    );
    expect(response.status).toBe(400);
    const error = await openAIError(response);
    expect(error.param?.length).toBeLessThanOrEqual(200);
    expect(error.message.length).toBeLessThan(400);
  });

  it("keeps an emoji whole at the cut", async () => {
    const response = await gateway.call(
      "/v1/chat/completions",
      json({ ...ask, model: `${"m".repeat(98)}👋🏽${long}` }),
    );
    const { message } = await openAIError(response);
    expect(message).toContain(`'${"m".repeat(98)}…'`);
  });
});
