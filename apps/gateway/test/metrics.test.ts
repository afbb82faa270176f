import { join } from "node:path";
import {
  type RecordedRequest,
  type ScriptedUpstream,
  startScriptedUpstream,
  type Turn,
} from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, servedGateway } from "./helpers/in-process.js";
import { type PromSample, promtoolCheck, startPrometheus } from "./helpers/prometheus.js";

/**
 * `/metrics` scraped by a real Prometheus (Debian's package, started by the
 * test on loopback), after requests with a server-side tool round, and
 * checked by `promtool`. Model and tool names a client (or a model) makes
 * up never become label values.
 */

const KEY = "proxy-key-metrics";
const EVERYTHING = join(import.meta.dirname, "..", "node_modules", ".bin", "mcp-server-everything");

/** A seeded generator, so a failure replays. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
const next = random(18);
const fuzzName = () =>
  `fz_${Array.from({ length: 12 }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(next() * 36)]).join("")}`;
const fuzzedModels = Array.from({ length: 5 }, fuzzName);
const fuzzedTools = Array.from({ length: 5 }, fuzzName);

function lastUser(request: RecordedRequest): string {
  const messages = request.body.messages as { role: string; content: unknown }[];
  const user = messages.filter((m) => m.role === "user").at(-1);
  return typeof user?.content === "string" ? user.content : JSON.stringify(user?.content);
}

/** `echo` → one echo round; `call <name>` → a call to that (unknown) tool; else text. */
function upstreamTurn(request: RecordedRequest): Turn {
  const said = lastUser(request);
  const answered = JSON.stringify(request.body.messages).includes('"role":"tool"');
  const usage = { promptTokens: 30, completionTokens: 4, cachedTokens: 8 };
  if (!answered && said === "echo")
    return { toolCalls: [{ name: "everything__echo", arguments: { message: "hi" } }], usage };
  if (!answered && said.startsWith("call "))
    return { toolCalls: [{ name: said.slice(5), arguments: {} }], usage };
  return { text: "Done.", usage };
}

let upstream: ScriptedUpstream;
let served: Awaited<ReturnType<typeof servedGateway>>;
let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
let exposition: string;

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${served.url}${path}`, json(body, { authorization: `Bearer ${KEY}`, ...headers })).then(
    async (response) => ({ status: response.status, text: await response.text() }),
  );
const chat = (content: string, extra: Record<string, unknown> = {}) =>
  post("/v1/chat/completions", {
    model: "helper",
    messages: [{ role: "user", content }],
    ...extra,
  });

beforeAll(async () => {
  upstream = await startScriptedUpstream({ fallback: upstreamTurn });
  served = await servedGateway(
    {
      proxy_api_keys: [KEY],
      backends: [
        { name: "main", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-m-1" },
      ],
      mcp_servers: [{ name: "everything", transport: "stdio", command: EVERYTHING }],
      assistants: [
        { name: "helper", backend: "main", model: "gpt-main", mcp_servers: ["everything"] },
      ],
    },
    { env: {} },
  );
  expect((await chat("echo")).status).toBe(200);
  expect((await chat("echo", { stream: true })).status).toBe(200);
  for (const model of fuzzedModels)
    expect(
      (await post("/v1/chat/completions", { model, messages: [{ role: "user", content: "x" }] }))
        .status,
    ).toBe(404);
  for (const tool of fuzzedTools) {
    // The model calls a tool nobody has, and the client offers one of the same name.
    expect((await chat(`call ${tool}`)).status).toBe(200);
    const clientTool = {
      type: "function",
      function: { name: tool, parameters: { type: "object" } },
    };
    expect((await chat(`call ${tool}`, { tools: [clientTool] })).status).toBe(200);
  }
  const refused = await fetch(`${served.url}/v1/chat/completions`, json({ model: "helper" }));
  expect(refused.status).toBe(401);
  await refused.text();
  exposition = await (await fetch(`${served.url}/metrics`)).text();
  prometheus = await startPrometheus(new URL(served.url).host);
}, 120_000);

afterAll(async () => {
  await prometheus?.close();
  await served?.close();
  await upstream?.close();
});

const value = (samples: PromSample[]) => samples.reduce((sum, s) => sum + Number(s.value[1]), 0);
const runs = 2 + fuzzedTools.length * 2;

describe("Prometheus scrapes /metrics", () => {
  it("shows the requests, the tool round, tokens and upstream calls", {
    timeout: 120_000,
  }, async () => {
    const requests = await prometheus.until(
      'aiproxy_requests_total{job="aiproxy",surface="chat",assistant="helper",status="200"}',
      (result) => value(result) === runs,
    );
    expect(requests).toHaveLength(1);
    expect(
      value(await prometheus.query('aiproxy_requests_total{assistant="unknown",status="404"}')),
    ).toBe(fuzzedModels.length);
    expect(value(await prometheus.query('aiproxy_requests_total{status="401"}'))).toBe(1);
    expect(value(await prometheus.query('aiproxy_auth_refusals_total{reason="missing_key"}'))).toBe(
      1,
    );

    const echo = await prometheus.query(
      'aiproxy_tool_calls_total{server="everything",tool="echo",outcome="ok"}',
    );
    expect(value(echo)).toBe(2);
    expect(
      value(
        await prometheus.query(
          'aiproxy_tool_calls_total{server="unknown",tool="unknown",outcome="error"}',
        ),
      ),
    ).toBe(fuzzedTools.length);
    expect(
      value(
        await prometheus.query('aiproxy_tool_call_duration_seconds_count{server="everything"}'),
      ),
    ).toBe(2);
    // Rounds run server-side: 2 echo runs and the unknown-tool runs have one; client calls end the run.
    expect(value(await prometheus.query('aiproxy_tool_rounds_sum{assistant="helper"}'))).toBe(
      2 + fuzzedTools.length,
    );

    const tokens = (type: string) =>
      prometheus.query(
        `gen_ai_client_token_usage_sum{gen_ai_token_type="${type}",assistant="helper",backend="main",gen_ai_request_model="gpt-main"}`,
      );
    // Calls: 2 per echo run and per unknown-tool run, 1 per client-tool run.
    const calls = 2 * 2 + fuzzedTools.length * 2 + fuzzedTools.length;
    expect(value(await tokens("input"))).toBe(30 * calls);
    expect(value(await tokens("output"))).toBe(4 * calls);
    expect(value(await tokens("cached"))).toBe(8 * calls);
    expect(
      value(
        await prometheus.query(
          'gen_ai_client_operation_duration_seconds_count{gen_ai_operation_name="chat",gen_ai_provider_name="openai",backend="main",outcome="ok"}',
        ),
      ),
    ).toBe(calls);
    expect(
      value(
        await prometheus.query('aiproxy_upstream_attempts_total{backend="main",outcome="2xx"}'),
      ),
    ).toBe(calls);
    expect(
      value(
        await prometheus.query('aiproxy_time_to_first_token_seconds_count{assistant="helper"}'),
      ),
    ).toBe(runs);
    expect(
      value(await prometheus.query('aiproxy_mcp_server_state{server="everything",state="ready"}')),
    ).toBe(1);
    expect(value(await prometheus.query('aiproxy_requests_in_flight{surface="chat"}'))).toBe(0);
    expect(value(await prometheus.query('aiproxy_open_streams{surface="chat"}'))).toBe(0);
  });

  it("has no label value a client or a model made up", async () => {
    const labels = await prometheus.query('{job="aiproxy"}');
    const values = new Map<string, Set<string>>();
    for (const { metric } of labels)
      for (const [name, v] of Object.entries(metric)) {
        if (!values.has(name)) values.set(name, new Set());
        values.get(name)?.add(v);
      }
    expect([...(values.get("assistant") ?? [])].sort()).toEqual(["helper", "unknown"]);
    expect([...(values.get("tool") ?? [])].sort()).toEqual(["echo", "unknown"]);
    expect([...(values.get("server") ?? [])].sort()).toEqual(["everything", "unknown"]);
    expect([...(values.get("gen_ai_request_model") ?? [])]).toEqual(["gpt-main"]);
    const all = JSON.stringify(labels) + exposition;
    for (const name of [...fuzzedModels, ...fuzzedTools]) expect(all).not.toContain(name);
  });
});

describe("the exposition", () => {
  it("passes promtool check metrics", () => {
    const { status, output } = promtoolCheck(exposition);
    expect(output).toBe("");
    expect(status).toBe(0);
  });
});
