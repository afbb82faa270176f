import { join } from "node:path";
import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/gateway-process.js";
import { gatewayFor, json } from "./helpers/in-process.js";

/**
 * Nothing lost between Anthropic and Anthropic: a Messages request to an
 * assistant on an Anthropic-wire backend reaches it field for field but for
 * the model, and one on an OpenAI-wire backend gets the documented mapping
 * (apps/gateway/README.md, "What reaches the backend").
 */

const PROXY_KEY = "proxy-key-passthrough";
const cached = { type: "ephemeral", ttl: "1h" };
let anthropic: ScriptedUpstream;
let openai: ScriptedUpstream;
let gateway: Awaited<ReturnType<typeof gatewayFor>>;

beforeAll(async () => {
  anthropic = await startScriptedUpstream();
  openai = await startScriptedUpstream();
  gateway = await gatewayFor({
    proxy_api_keys: [PROXY_KEY],
    backends: [
      {
        name: "an",
        kind: "anthropic",
        base_url: anthropic.anthropicBaseUrl,
        default_headers: { "anthropic-beta": "files-api-2025-04-14" },
      },
      { name: "oa", kind: "openai", base_url: openai.openaiBaseUrl },
    ],
    assistants: [
      { name: "on-anthropic", backend: "an", model: "claude-x" },
      { name: "on-openai", backend: "oa", model: "gpt-x" },
    ],
  });
});
afterAll(async () => {
  await gateway?.close();
  await anthropic?.close();
  await openai?.close();
});

/** A request with the things Claude Code and the SDKs send that the gateway has no use for itself. */
function richRequest(model: string, { readable = false, inlineSystem = true } = {}) {
  // An OpenAI-compatible backend cannot be sent a PDF or a block type the gateway does not know.
  const pdf = {
    type: "document",
    source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQK" },
    title: "spec.pdf",
    citations: { enabled: true },
  };
  return {
    model,
    max_tokens: 32000,
    stream: false,
    system: [
      { type: "text", text: "billing header" },
      { type: "text", text: "You are a coding agent.", cache_control: cached },
    ],
    messages: [
      {
        role: "user",
        content: [...(readable ? [] : [pdf]), { type: "text", text: "Summarize the spec." }],
      },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Let me look.", signature: "sig-abc" },
          { type: "redacted_thinking", data: "opaque" },
          { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a" } },
        ],
      },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_1",
            content: [{ type: "text", text: "file body" }],
            cache_control: cached,
          },
          ...(readable ? [] : [{ type: "container_upload", file_id: "file_1" }]),
        ],
      },
      // Claude Code's system turn inside `messages`; the scripted upstream, like the API without
      // Claude Code's betas, refuses it.
      ...(inlineSystem
        ? [
            {
              role: "system",
              content: [{ type: "text", text: "# Environment", cache_control: cached }],
            },
          ]
        : []),
    ],
    tools: [
      {
        name: "Read",
        description: "Reads a file",
        input_schema: { type: "object", properties: { file_path: { type: "string" } } },
        cache_control: cached,
      },
      {
        name: "Later",
        description: "Loaded on demand",
        input_schema: { type: "object" },
        defer_loading: true,
      },
    ],
    metadata: { user_id: "user-123" },
    thinking: { type: "adaptive", display: "omitted" },
    output_config: { effort: "high" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    top_k: 5,
    some_future_field: { a: 1 },
  };
}

function post(body: unknown, extra: Record<string, string> = {}) {
  return gateway.call(
    "/v1/messages?beta=true",
    json(body, {
      "x-api-key": PROXY_KEY,
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "context-management-2025-06-27,effort-2025-11-24",
      ...extra,
    }),
  );
}

describe("Anthropic-wire backend", () => {
  it("gets every field the client sent, as it sent it, but the model", async () => {
    anthropic.enqueue({ text: "ok" });
    const sent = richRequest("on-anthropic", { inlineSystem: false });
    const response = await post(sent);
    expect(response.status, await response.clone().text()).toBe(200);
    const upstream = anthropic.requests.at(-1);
    const received = upstream?.body;
    // `stream: false` is sent as no `stream`, which means the same.
    expect(received.stream).toBeUndefined();
    for (const key of Object.keys(sent)) {
      if (key === "model" || key === "stream") continue;
      expect({ [key]: received[key] }).toEqual({ [key]: sent[key as keyof typeof sent] });
    }
    expect(received.model).toBe("claude-x");
    expect(upstream?.headers["anthropic-beta"]).toBe(
      "files-api-2025-04-14,context-management-2025-06-27,effort-2025-11-24",
    );
  });

  it("streams message_start with the upstream's input token count; stop_sequences forwarded", async () => {
    anthropic.enqueue({ text: "1, 2", usage: { promptTokens: 42, completionTokens: 4 } });
    const response = await post({
      model: "on-anthropic",
      max_tokens: 100,
      stream: true,
      stop_sequences: ["3"],
      messages: [{ role: "user", content: "Count to 3" }],
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)));
    expect(events[0]).toMatchObject({
      type: "message_start",
      message: { usage: { input_tokens: 42, output_tokens: 0 } },
    });
    expect(anthropic.requests.at(-1)?.body.stop_sequences).toEqual(["3"]);
  });

  it("forwards a system turn inside messages in its place; the upstream's refusal is the client's 400", async () => {
    const sent = richRequest("on-anthropic");
    const response = await post(sent);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error).toMatchObject({ type: "invalid_request_error" });
    expect(body.error.message).toContain('Unexpected role "system"');
    expect(anthropic.requests.at(-1)?.body.messages).toEqual(sent.messages);
  });

  it("keeps the client's history verbatim beside the gateway's own tool round", async () => {
    const withTools = await gatewayFor({
      proxy_api_keys: [PROXY_KEY],
      backends: [{ name: "an", kind: "anthropic", base_url: anthropic.anthropicBaseUrl }],
      mcp_servers: [
        {
          name: "demo",
          transport: "stdio",
          command: process.execPath,
          args: [join(REPO_ROOT, "packages", "demo", "dist", "mcp-server.js")],
        },
      ],
      assistants: [
        { name: "on-anthropic", backend: "an", model: "claude-x", mcp_servers: ["demo"] },
      ],
    });
    try {
      anthropic.enqueue(
        { reasoning: "adding", toolCalls: [{ name: "demo__add", arguments: { a: 2, b: 3 } }] },
        { text: "5" },
      );
      const sent = richRequest("on-anthropic", { inlineSystem: false });
      const before = anthropic.requests.length;
      const response = await withTools.call(
        "/v1/messages",
        json(sent, { "x-api-key": PROXY_KEY, "anthropic-version": "2023-06-01" }),
      );
      expect(response.status).toBe(200);
      const [first, second] = anthropic.requests.slice(before).map((r) => r.body);
      expect(first.messages).toEqual(sent.messages);
      expect(second.messages.slice(0, sent.messages.length)).toEqual(sent.messages);
      const round = second.messages.slice(sent.messages.length);
      expect(round.map((m: { role: string }) => m.role)).toEqual(["assistant", "user"]);
      // The round's own thinking goes back with its signature, as Anthropic requires.
      expect(round[0].content[0]).toMatchObject({
        type: "thinking",
        signature: expect.any(String),
      });
      expect(round[1].content[0]).toMatchObject({ type: "tool_result", content: "5" });
      for (const key of ["thinking", "output_config", "context_management", "metadata"])
        expect({ [key]: second[key] }).toEqual({ [key]: sent[key as keyof typeof sent] });
    } finally {
      await withTools.close();
    }
  });
});

describe("OpenAI-wire backend", () => {
  it("answers a PDF with a 400 naming the block, never a 500", async () => {
    const response = await post(richRequest("on-openai"));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toMatch(/^messages\.0\.content\.0\.source/);
  });

  it("keeps the reasoning of a non-streamed answer as a thinking block", async () => {
    openai.enqueue({ reasoning: "Two and two.", text: "4" });
    const response = await post({
      model: "on-openai",
      max_tokens: 100,
      messages: [{ role: "user", content: "2+2?" }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { content: unknown[] };
    expect(body.content).toEqual([
      { type: "thinking", thinking: "Two and two.", signature: "" },
      { type: "text", text: "4" },
    ]);
  });

  it("maps what maps and drops the rest", async () => {
    openai.enqueue({ text: "ok" });
    const sent = richRequest("on-openai", { readable: true });
    const response = await post(sent);
    expect(response.status).toBe(200);
    const received = openai.requests.at(-1)?.body;
    const text = JSON.stringify(received);
    for (const dropped of [
      "cache_control",
      "defer_loading",
      "thinking",
      "signature",
      "output_config",
      "context_management",
      "some_future_field",
      "top_k",
      "providerData",
    ])
      expect(text).not.toContain(`"${dropped}"`);
    expect(received.user).toBe("user-123");
    expect(received.messages[0]).toEqual({
      role: "system",
      content: "billing header\n\nYou are a coding agent.",
    });
    expect(received.messages.at(-1)).toEqual({ role: "system", content: "# Environment" });
    expect(received.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual([
      "Read",
    ]);
  });
});
