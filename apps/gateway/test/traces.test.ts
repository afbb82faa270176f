import { join } from "node:path";
import {
  type RecordedRequest,
  type ScriptedUpstream,
  startScriptedUpstream,
  type Turn,
} from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFor, json } from "./helpers/in-process.js";
import { type ReceivedSpan, startOtlpReceiver } from "./helpers/otlp-receiver.js";

/**
 * OpenTelemetry traces end to end: the gateway exports over OTLP/HTTP to a
 * receiver on loopback, and each request (every surface) is one trace in
 * the client's trace context: invoke_agent → steps → chat and execute_tool,
 * with the upstream LLM called inside its chat span's context.
 */

const KEY = "proxy-key-traces";
const EVERYTHING = join(import.meta.dirname, "..", "node_modules", ".bin", "mcp-server-everything");
const PROMPT = "prompt-text-that-must-not-be-recorded";

/** Two tool rounds (echo, echo), then an answer. */
function twoRounds(request: RecordedRequest): Turn {
  const results = (
    JSON.stringify(request.body.messages).match(/"role":"tool"|"tool_result"/g) ?? []
  ).length;
  if (results < 2)
    return {
      toolCalls: [{ name: "everything__echo", arguments: { message: `round-${results + 1}` } }],
      usage: { promptTokens: 40, completionTokens: 7 },
    };
  return { text: "All done.", usage: { promptTokens: 60, completionTokens: 3 } };
}

const surfaces = [
  {
    surface: "chat",
    path: "/v1/chat/completions",
    body: { model: "helper", stream: true, messages: [{ role: "user", content: PROMPT }] },
  },
  {
    surface: "messages",
    path: "/v1/messages",
    body: { model: "helper", max_tokens: 256, messages: [{ role: "user", content: PROMPT }] },
  },
  { surface: "responses", path: "/v1/responses", body: { model: "helper", input: PROMPT } },
];

const traceIdFor = (i: number) =>
  `${"4bf92f3577b34da6a3ce929d0e0e47"}${String(i).padStart(2, "0")}`;
const CLIENT_SPAN = "00f067aa0ba902b7";

let upstream: ScriptedUpstream;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let spans: ReceivedSpan[];

beforeAll(async () => {
  upstream = await startScriptedUpstream({ fallback: twoRounds });
  receiver = await startOtlpReceiver();
  const gateway = await gatewayFor(
    {
      proxy_api_keys: [KEY],
      backends: [
        { name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-up-secret-1" },
      ],
      mcp_servers: [{ name: "everything", transport: "stdio", command: EVERYTHING }],
      assistants: [{ name: "helper", backend: "up", model: "gpt-up", mcp_servers: ["everything"] }],
      telemetry: { traces: { otlp_endpoint: receiver.url, service_name: "aiproxy-test" } },
    },
    { env: {} },
  );
  try {
    for (const [i, { path, body }] of surfaces.entries()) {
      const response = await gateway.call(
        path,
        json(body, {
          authorization: `Bearer ${KEY}`,
          traceparent: `00-${traceIdFor(i)}-${CLIENT_SPAN}-01`,
          ...(path === "/v1/messages" && { "anthropic-version": "2023-06-01" }),
        }),
      );
      expect(response.status, await response.clone().text()).toBe(200);
      await response.text();
    }
  } finally {
    // Shutting down sends every buffered span.
    await gateway.close();
  }
  // 3 surfaces × (invoke_agent + 3 steps + 3 chats + 2 tools)
  await receiver.waitForSpans(3 * 9);
  spans = receiver.spans;
});

afterAll(async () => {
  await upstream?.close();
  await receiver?.close();
});

describe.each(surfaces.map((s, i) => ({ ...s, i })))(
  "a two-round tool loop on $surface",
  ({ surface, i }) => {
    const traceSpans = () => spans.filter((s) => s.traceId === traceIdFor(i));
    const children = (parent: ReceivedSpan) =>
      traceSpans().filter((s) => s.parentSpanId === parent.spanId);

    it("is one trace in the client's context: request → steps → LLM calls and tool calls", () => {
      const roots = traceSpans().filter((s) => s.name === "invoke_agent helper");
      expect(roots).toHaveLength(1);
      const root = roots[0] as ReceivedSpan;
      expect(root.parentSpanId).toBe(CLIENT_SPAN);
      const steps = children(root);
      expect(steps.map((s) => s.name)).toEqual(["step 1", "step 2", "step 3"]);
      const tree = steps.map((step) =>
        children(step)
          .map((s) => s.name)
          .sort(),
      );
      expect(tree).toEqual([
        ["chat gpt-up", "execute_tool everything__echo"],
        ["chat gpt-up", "execute_tool everything__echo"],
        ["chat gpt-up"],
      ]);
      expect(traceSpans()).toHaveLength(9);
    });

    it("carries the GenAI attributes", () => {
      const root = traceSpans().find((s) => s.name.startsWith("invoke_agent")) as ReceivedSpan;
      expect(root.attributes).toMatchObject({
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "helper",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-up",
        "aiproxy.surface": surface,
        "gen_ai.usage.input_tokens": 140,
        "gen_ai.usage.output_tokens": 17,
      });
      const chats = traceSpans().filter((s) => s.name === "chat gpt-up");
      for (const chat of chats)
        expect(chat.attributes).toMatchObject({
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "openai",
          "gen_ai.request.model": "gpt-up",
          "gen_ai.response.id": expect.any(String),
          "gen_ai.usage.input_tokens": expect.any(Number),
        });
      expect(chats.map((c) => c.attributes["gen_ai.response.finish_reasons"])).toEqual(
        expect.arrayContaining([["tool_calls"], ["tool_calls"], ["stop"]]),
      );
      const tools = traceSpans().filter((s) => s.name.startsWith("execute_tool"));
      for (const tool of tools)
        expect(tool.attributes).toMatchObject({
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": "everything__echo",
          "gen_ai.tool.call.id": expect.any(String),
          "aiproxy.mcp.server": "everything",
          "aiproxy.tool.outcome": "ok",
        });
    });

    it("calls the upstream inside each chat span's context", () => {
      const chatIds = new Set(
        traceSpans()
          .filter((s) => s.name === "chat gpt-up")
          .map((s) => s.spanId),
      );
      const sent = upstream.requests
        .map((r) => r.headers.traceparent)
        .filter((tp) => tp?.includes(traceIdFor(i)));
      expect(sent).toHaveLength(3);
      for (const traceparent of sent) {
        const [, traceId, parent] = traceparent?.split("-") ?? [];
        expect(traceId).toBe(traceIdFor(i));
        expect(chatIds.has(parent ?? "")).toBe(true);
      }
    });
  },
);

describe("what spans never hold", () => {
  it("has no prompt text without OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, and no key ever", () => {
    const all = JSON.stringify(spans);
    expect(all).not.toContain(PROMPT);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain("sk-up-secret-1");
  });
});

describe("a retried upstream call", () => {
  it("is one chat span with the retry as an event", async () => {
    const flaky = await startScriptedUpstream({
      script: [{ status: 503, errorMessage: "overloaded" }],
      fallback: () => ({ text: "ok", usage: { promptTokens: 5, completionTokens: 1 } }),
    });
    const otlp = await startOtlpReceiver();
    const gateway = await gatewayFor(
      {
        proxy_api_keys: [KEY],
        backends: [
          {
            name: "flaky",
            kind: "openai",
            base_url: flaky.openaiBaseUrl,
            api_key: "sk-flaky-1",
            max_retries: 1,
          },
        ],
        assistants: [{ name: "plain", backend: "flaky", model: "gpt-flaky" }],
        telemetry: { traces: { otlp_endpoint: otlp.url } },
      },
      { env: {} },
    );
    try {
      const response = await gateway.call(
        "/v1/chat/completions",
        json(
          { model: "plain", messages: [{ role: "user", content: "hi" }] },
          { authorization: `Bearer ${KEY}` },
        ),
      );
      expect(response.status).toBe(200);
      await response.text();
      // The exchange's hooks count the same retry.
      const metrics = await (await gateway.call("/metrics")).text();
      expect(metrics).toContain('aiproxy_upstream_retries_total{backend="flaky"} 1');
      expect(metrics).toContain('aiproxy_upstream_attempts_total{backend="flaky",outcome="5xx"} 1');
      expect(metrics).toContain('aiproxy_upstream_attempts_total{backend="flaky",outcome="2xx"} 1');
    } finally {
      await gateway.close();
    }
    await otlp.waitForSpans(3);
    const chats = otlp.spans.filter((s) => s.name === "chat gpt-flaky");
    expect(chats).toHaveLength(1);
    expect(chats[0]?.events).toContain("retry");
    expect(flaky.requests).toHaveLength(2);
    // Both attempts carried the same chat span as the parent.
    const parents = flaky.requests.map((r) => r.headers.traceparent?.split("-")[2]);
    expect(parents).toEqual([chats[0]?.spanId, chats[0]?.spanId]);
    await flaky.close();
    await otlp.close();
  });
});
