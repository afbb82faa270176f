import { describe, expect, it } from "vitest";
import { servedGateway } from "./helpers/in-process.js";
import { closeAfterEach, upstreamForFile } from "./helpers/per-file.js";

/**
 * Every answer carries `x-request-id`: a surface's rendered responses carry
 * it in their own headers (and the middleware leaves them alone), anything
 * else gets it from the middleware. Checked on the wire, through
 * @hono/node-server, where the two paths differ.
 */

const upstream = await upstreamForFile();
const closers = closeAfterEach();

async function open() {
  const served = await servedGateway(
    {
      backends: [
        { name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-up-rid" },
      ],
      assistants: [{ name: "pass", backend: "up", model: "gpt-up" }],
    },
    { env: {} },
  );
  closers.push(() => served.close());
  return served;
}

const TOOL = {
  type: "function",
  function: { name: "lookup", parameters: { type: "object", properties: {} } },
};
const user = [{ role: "user", content: "hi" }];

const calls: Array<[string, string, Record<string, unknown>]> = [
  ["relayed chat, JSON", "/v1/chat/completions", { model: "pass", messages: user }],
  ["relayed chat, stream", "/v1/chat/completions", { model: "pass", messages: user, stream: true }],
  [
    "rendered chat (a client tool)",
    "/v1/chat/completions",
    { model: "pass", messages: user, tools: [TOOL] },
  ],
  ["Messages", "/v1/messages", { model: "pass", max_tokens: 16, messages: user }],
  ["Responses, JSON", "/v1/responses", { model: "pass", input: "hi", store: false }],
  [
    "Responses, stream",
    "/v1/responses",
    { model: "pass", input: "hi", store: false, stream: true },
  ],
];

describe("x-request-id", () => {
  for (const [name, path, body] of calls)
    it(`is on the answer once, the caller's own when sent: ${name}`, async () => {
      const { url } = await open();
      upstream.enqueue({ text: "hello" });
      const response = await fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "rid-from-client" },
        body: JSON.stringify(body),
      });
      await response.text();
      expect(response.status).toBe(200);
      expect(response.headers.get("x-request-id")).toBe("rid-from-client");
    });

  it("is set by the middleware on errors raised before any rendering", async () => {
    const { url } = await open();
    const unknown = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "nobody", messages: user }),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const invalid = await fetch(`${url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "rid-bad" },
      body: JSON.stringify({ model: "pass" }),
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("x-request-id")).toBe("rid-bad");
  });
});
