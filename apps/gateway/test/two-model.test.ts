// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are arbitrary JSON; the tests index into them.
import { join } from "node:path";
import { ConfigError, parseConfig } from "@aiproxy/config";
import {
  type RecordedRequest,
  type ScriptedUpstream,
  startScriptedUpstream,
  type Turn,
  trailingToolResults,
} from "@aiproxy/testkit";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { gatewayFor, json, put } from "./helpers/in-process.js";

/**
 * Two-model assistants through the gateway: a deciding upstream that
 * reports `x_needle.confidence` and an answering upstream that must never be
 * sent a tool, on OpenAI- and Anthropic-wire backends, streamed and not,
 * with the real server-everything behind the tools.
 */

const KEY = "proxy-key-two-model";
const EVERYTHING = join(import.meta.dirname, "..", "node_modules", ".bin", "mcp-server-everything");
const DECIDER_USAGE = { promptTokens: 100, completionTokens: 10 };
const ANSWER_USAGE = { promptTokens: 50, completionTokens: 5 };

let decider: ScriptedUpstream;
let answerer: ScriptedUpstream;
/** Requests that offered the answer model tools or tool messages: must stay empty. */
let violations: string[];
const closers: Array<() => Promise<void>> = [];

/** The answer model: fails (and records) any request with tools; otherwise says what tool text it was given. */
function answer(request: RecordedRequest): Turn {
  const body = request.body;
  const sentTools = body.tools !== undefined;
  const toolMessages = JSON.stringify(body.messages).match(
    /"role":"tool"|"tool_use"|"tool_result"|"tool_calls"/,
  );
  if (sentTools || toolMessages) {
    violations.push(`${request.path}: ${sentTools ? "tools" : toolMessages?.[0]}`);
    return { status: 400, errorMessage: "this model cannot use tools" };
  }
  const all = JSON.stringify([body.system ?? null, body.messages]);
  const echoed = /Echo: ([^"\\]+)/.exec(all)?.[1];
  return { text: echoed ? `The tool said ${echoed}.` : "No tool was used.", usage: ANSWER_USAGE };
}

/** The decider: proposes an echo with high confidence, then declines once it has a result. */
function decide(
  call: { name: string; arguments: Record<string, unknown> | string },
  confidence = 0.92,
) {
  return (request: RecordedRequest): Turn => {
    if (request.body.stream === true) violations.push("decision call was streamed");
    if (trailingToolResults(request).length > 0)
      return { text: "", topLevel: { x_needle: { confidence: 0.1 } }, usage: DECIDER_USAGE };
    return { toolCalls: [call], topLevel: { x_needle: { confidence } }, usage: DECIDER_USAGE };
  };
}

beforeAll(async () => {
  decider = await startScriptedUpstream();
  answerer = await startScriptedUpstream({ fallback: answer });
});
beforeEach(() => {
  violations = [];
  decider.setFallback(decide({ name: "everything__echo", arguments: { message: "needle-42" } }));
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  expect(violations).toEqual([]);
});
afterAll(async () => {
  await decider.close();
  await answerer.close();
});

const backends = () => [
  { name: "decide-oa", kind: "openai", base_url: decider.openaiBaseUrl, api_key: "sk-d-1" },
  { name: "decide-an", kind: "anthropic", base_url: decider.anthropicBaseUrl, api_key: "sk-d-2" },
  { name: "answer-oa", kind: "openai", base_url: answerer.openaiBaseUrl, api_key: "sk-a-1" },
  { name: "answer-an", kind: "anthropic", base_url: answerer.anthropicBaseUrl, api_key: "sk-a-2" },
];

function config(assistant: Record<string, unknown> = {}) {
  const twoModel = (kind: "oa" | "an") => ({
    name: `tm-${kind}`,
    backend: `answer-${kind}`,
    model: kind === "oa" ? "small-chat" : "claude-small",
    tool_backend: `decide-${kind}`,
    tool_model: kind === "oa" ? "gpt-4o-mini" : "claude-haiku-4-5",
    mcp_servers: ["everything"],
    ...assistant,
  });
  return {
    proxy_api_keys: [KEY],
    backends: backends(),
    mcp_servers: [{ name: "everything", transport: "stdio", command: EVERYTHING }],
    assistants: [twoModel("oa"), twoModel("an")],
  };
}

async function open(assistant: Record<string, unknown> = {}) {
  const gateway = await gatewayFor(config(assistant));
  closers.push(() => gateway.close());
  return gateway;
}

const auth = { authorization: `Bearer ${KEY}` };

async function chat(
  gateway: Awaited<ReturnType<typeof open>>,
  model: string,
  extra: Record<string, unknown> = {},
) {
  return gateway.call(
    "/v1/chat/completions",
    json({ model, messages: [{ role: "user", content: "echo something" }], ...extra }, auth),
  );
}

/** The chunks of an SSE chat stream, until [DONE]. */
async function chunks(response: Response) {
  const text = await response.text();
  expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: {"))
    .map((frame) => JSON.parse(frame.slice(6)) as Record<string, any>);
}

const kinds = ["oa", "an"] as const;

const expectedRecord = (kind: string) => ({
  tool_backend: `decide-${kind}`,
  decisions: [
    {
      round: 1,
      tool_calls: [{ name: "everything__echo", arguments: '{"message":"needle-42"}' }],
      confidence: 0.92,
      executed: true,
    },
    { round: 2, tool_calls: [], confidence: 0.1, executed: false },
  ],
});

describe("two-model assistants", () => {
  it.each(kinds)("answer from the tool result, not streamed (%s)", async (kind) => {
    const gateway = await open();
    const before = answerer.requests.length;
    const response = await chat(gateway, `tm-${kind}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(body.choices[0].message.content).toBe("The tool said needle-42.");
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.x_aiproxy).toEqual(expectedRecord(kind));
    // Two decisions and one answer, added up.
    expect(body.usage).toMatchObject({
      prompt_tokens: 250,
      completion_tokens: 25,
      total_tokens: 275,
    });
    const sent = answerer.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body.model).toBe(kind === "oa" ? "small-chat" : "claude-small");
  });

  it.each(kinds)(
    "streams only the answer; the record and the usage of both ride the last chunks (%s)",
    async (kind) => {
      const gateway = await open();
      const decisionsBefore = decider.requests.length;
      const response = await chat(gateway, `tm-${kind}`, {
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(response.status).toBe(200);
      const all = await chunks(response);
      const content = all.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
      expect(content).toBe("The tool said needle-42.");
      const finish = all.find((c) => c.choices?.[0]?.finish_reason);
      expect(finish?.x_aiproxy).toEqual(expectedRecord(kind));
      expect(all.filter((c) => c.x_aiproxy)).toHaveLength(1);
      expect(all.at(-1)?.usage).toMatchObject({ prompt_tokens: 250, completion_tokens: 25 });
      const decisions = decider.requests.slice(decisionsBefore);
      expect(decisions).toHaveLength(2);
      for (const request of decisions) expect(request.body.stream).not.toBe(true);
      const answers = answerer.requests.at(-1);
      expect(answers?.body.stream).toBe(true);
    },
  );

  it("below the confidence threshold the answer model replies without tools", async () => {
    decider.setFallback(decide({ name: "everything__echo", arguments: { message: "x" } }, 0.3));
    const gateway = await open({ tool_confidence: 0.5 });
    const body = (await (await chat(gateway, "tm-oa")).json()) as Record<string, any>;
    expect(body.choices[0].message.content).toBe("No tool was used.");
    expect(body.x_aiproxy.decisions).toEqual([
      {
        round: 1,
        tool_calls: [{ name: "everything__echo", arguments: '{"message":"x"}' }],
        confidence: 0.3,
        executed: false,
      },
    ]);
  });

  it.each(kinds)(
    "makes the fallback call when the first decision runs nothing (%s)",
    async (kind) => {
      decider.setFallback(() => ({
        text: "",
        topLevel: { x_needle: { confidence: 0.9 } },
        usage: DECIDER_USAGE,
      }));
      const gateway = await open({
        tool_fallback: { tool: "everything__echo", arguments: { message: "fallback for {user}" } },
        expose_tool_results: true,
      });
      const body = (await (await chat(gateway, `tm-${kind}`)).json()) as Record<string, any>;
      expect(body.choices[0].message.content).toBe("The tool said fallback for echo something.");
      expect(body.x_aiproxy.decisions).toEqual([
        {
          round: 1,
          tool_calls: [
            { name: "everything__echo", arguments: '{"message":"fallback for echo something"}' },
          ],
          confidence: 0.9,
          executed: true,
          fallback: true,
          results: [
            {
              name: "everything__echo",
              content: "Echo: fallback for echo something",
              is_error: false,
            },
          ],
        },
      ]);
    },
  );

  it.each(kinds)(
    "invalid JSON arguments from the decider are a tool error in the record; the answer still comes (%s)",
    async (kind) => {
      decider.setFallback(
        decide({ name: "everything__echo", arguments: '{"message": "unterminated' }),
      );
      const gateway = await open();
      const response = await chat(gateway, `tm-${kind}`, { stream: true });
      const all = await chunks(response);
      expect(all.map((c) => c.choices?.[0]?.delta?.content ?? "").join("")).toBe(
        "No tool was used.",
      );
      const record = all.find((c) => c.x_aiproxy)?.x_aiproxy;
      expect(record.decisions[0].executed).toBe(true);
      expect(record.decisions[0].errors[0]).toMatchObject({ name: "everything__echo" });
      // The OpenAI wire passes the text on as is; Anthropic's carries it as a non-object input.
      expect(record.decisions[0].errors[0].message).toMatch(
        /arguments .* (not valid JSON|must be a JSON object)/,
      );
    },
  );
});

describe("two-model config: bad input", () => {
  const issues = (source: Record<string, unknown>) => {
    try {
      parseConfig(source, { env: {} });
    } catch (error) {
      if (ConfigError.isInstance(error)) return error.issues;
      throw error;
    }
    return [];
  };

  it("a tool_backend naming no backend is a start error with its path", () => {
    const source = config();
    (source.assistants[0] as Record<string, unknown>).tool_backend = "nope";
    expect(issues(source)).toContainEqual({
      path: "assistants[0].tool_backend",
      message: 'unknown backend "nope"',
    });
  });

  it("a confidence outside 0-1 and a fallback tool the assistant lacks are start errors", () => {
    const source = config({ tool_confidence: 1.5, tool_fallback: { tool: "other__echo" } });
    const found = issues(source);
    expect(found).toContainEqual({
      path: "assistants[0].tool_confidence",
      message: "must be <= 1 (got 1.5)",
    });
    expect(found.find((i) => i.path === "assistants[0].tool_fallback.tool")?.message).toMatch(
      /unknown tool "other__echo"/,
    );
  });

  it("admin PUT of an assistant with an unknown tool_backend is a 422 naming it", async () => {
    const gateway = await open();
    const response = await gateway.call(
      "/admin/assistants/broken",
      put({ backend: "answer-oa", model: "m", tool_backend: "missing" }),
    );
    expect(response.status).toBe(422);
    expect(JSON.stringify(await response.json())).toContain("tool_backend");
  });
});
