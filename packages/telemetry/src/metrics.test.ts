import { combineHooks, runAgent } from "@aiproxy/agent-loop";
import { afterEach, describe, expect, it, vi } from "vitest";
import { toolset, toolThenText } from "../test/fakes.js";
import { AiProxyMetrics } from "./metrics.js";
import { RUN_SERIES_CAPACITY } from "./run-series.js";

const labels = {
  surface: "chat",
  assistant: "helper",
  backend: "main",
  model: "gpt-x",
  provider: "openai",
  servers: new Set(["calc"]),
};

async function value(metrics: AiProxyMetrics, name: string, match: Record<string, string>) {
  const histogram = /_(count|sum)$/.test(name);
  const metric = metrics.registry.getSingleMetric(
    histogram ? name.replace(/_(count|sum)$/, "") : name,
  );
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => !histogram || (v as { metricName?: string }).metricName === name)
    .filter((v) => Object.entries(match).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/** A run without tools on a clock the test sets: the gateway's hot path. */
function noToolRun(
  metrics: AiProxyMetrics,
  runLabels: typeof labels,
  { seconds, tokens, status = 200 }: { seconds: number; tokens: number; status?: number },
) {
  const now = vi.spyOn(performance, "now").mockReturnValue(1000);
  const measured = metrics.startRun(runLabels, { stream: true });
  now.mockReturnValue(1000 + seconds * 500);
  const call = {
    step: 1,
    provider: runLabels.provider,
    request: { model: runLabels.model, messages: [] },
    streaming: true,
  };
  measured.hooks.onLlmFirstToken?.(call);
  measured.hooks.onLlmCallEnd?.({
    ...call,
    durationMs: seconds * 1000,
    usage: { promptTokens: tokens, completionTokens: 1, totalTokens: tokens + 1 },
  });
  now.mockReturnValue(1000 + seconds * 1000);
  measured.end(status);
  now.mockRestore();
}

describe("AiProxyMetrics", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("counts a run with a tool round: request, LLM calls, tokens, tool call, rounds", async () => {
    const metrics = new AiProxyMetrics();
    const measured = metrics.startRun(labels, { stream: true });
    expect(await value(metrics, "aiproxy_open_streams", { surface: "chat" })).toBe(1);
    const run = runAgent({
      backend: toolThenText("calc__add"),
      model: "gpt-x",
      messages: [{ role: "user", content: "1+1" }],
      toolset: toolset("calc", "add"),
      hooks: measured.hooks,
    });
    await run.result;
    measured.end(200);
    measured.end(200);

    const requests = { surface: "chat", assistant: "helper", status: "200" };
    expect(await value(metrics, "aiproxy_requests_total", requests)).toBe(1);
    expect(await value(metrics, "aiproxy_requests_in_flight", { surface: "chat" })).toBe(0);
    expect(await value(metrics, "aiproxy_open_streams", { surface: "chat" })).toBe(0);
    expect(
      await value(metrics, "gen_ai_client_operation_duration_seconds_count", {
        backend: "main",
        gen_ai_request_model: "gpt-x",
        outcome: "ok",
      }),
    ).toBe(2);
    const tokens = (type: string) =>
      value(metrics, "gen_ai_client_token_usage_sum", {
        gen_ai_token_type: type,
        assistant: "helper",
      });
    expect(await tokens("input")).toBe(30);
    expect(await tokens("output")).toBe(5);
    expect(await tokens("cached")).toBe(4);
    expect(
      await value(metrics, "aiproxy_tool_calls_total", {
        server: "calc",
        tool: "add",
        outcome: "ok",
      }),
    ).toBe(1);
    expect(await value(metrics, "aiproxy_tool_rounds_sum", { assistant: "helper" })).toBe(1);
    expect(await value(metrics, "aiproxy_time_to_first_token_seconds_count", {})).toBe(1);
  });

  it("labels a tool of a server not in the config as unknown", async () => {
    const metrics = new AiProxyMetrics();
    const measured = metrics.startRun(labels, { stream: false });
    const run = runAgent({
      backend: toolThenText("rogue__x9f"),
      model: "gpt-x",
      messages: [{ role: "user", content: "hi" }],
      toolset: toolset("rogue", "x9f", { content: "no", isError: true }),
      hooks: combineHooks(measured.hooks),
      streaming: false,
    });
    await run.result;
    measured.end(200);
    const { body } = await metrics.scrape();
    expect(body).toContain(
      'aiproxy_tool_calls_total{server="unknown",tool="unknown",outcome="error"} 1',
    );
    expect(body).not.toContain("rogue");
    expect(body).not.toContain("x9f");
  });

  it("labels a strategy's own LLM calls by its config names, unknown otherwise", async () => {
    const metrics = new AiProxyMetrics();
    const measured = metrics.startRun(
      { ...labels, otherBackends: new Set(["decider"]), otherModels: new Set(["small"]) },
      { stream: false },
    );
    const call = (backend: string, model: string) =>
      measured.hooks.onLlmCallEnd?.({
        step: 1,
        provider: "anthropic",
        backend,
        request: { model, messages: [] },
        streaming: false,
        durationMs: 5,
        usage: { promptTokens: 7, completionTokens: 1, totalTokens: 8 },
      });
    call("decider", "small");
    call("made-up", "fz_model");
    measured.end(200);
    const { body } = await metrics.scrape();
    expect(body).toMatch(
      /gen_ai_client_operation_duration_seconds_count\{gen_ai_operation_name="chat",gen_ai_provider_name="anthropic",gen_ai_request_model="small",backend="decider",outcome="ok"\} 1/,
    );
    expect(body).toMatch(/gen_ai_request_model="unknown",backend="unknown",outcome="ok"\} 1/);
    expect(body).not.toContain("fz_model");
    expect(body).not.toContain("made-up");
  });

  it("reports MCP server state and restarts at scrape time", async () => {
    let state: "ready" | "breaker-open" = "ready";
    const metrics = new AiProxyMetrics({
      mcpServers: () => [{ server: "calc", state, restarts: state === "ready" ? 0 : 3 }],
    });
    expect((await metrics.scrape()).body).toContain(
      'aiproxy_mcp_server_state{server="calc",state="ready"} 1',
    );
    state = "breaker-open";
    const { body } = await metrics.scrape();
    expect(body).toContain('aiproxy_mcp_server_state{server="calc",state="breaker-open"} 1');
    expect(body).toContain('aiproxy_mcp_server_state{server="calc",state="ready"} 0');
    expect(body).toContain('aiproxy_mcp_server_restarts{server="calc"} 3');
  });

  it("counts upstream attempts by status class, retries and auth refusals", async () => {
    const metrics = new AiProxyMetrics();
    metrics.upstreamAttempt("main", 503);
    metrics.upstreamAttempt("main", 0);
    metrics.upstreamAttempt("main", 200);
    metrics.upstreamRetry("main");
    metrics.authRefused("invalid_key");
    const { body } = await metrics.scrape();
    expect(body).toContain('aiproxy_upstream_attempts_total{backend="main",outcome="5xx"} 1');
    expect(body).toContain('aiproxy_upstream_attempts_total{backend="main",outcome="error"} 1');
    expect(body).toContain('aiproxy_upstream_attempts_total{backend="main",outcome="2xx"} 1');
    expect(body).toContain('aiproxy_upstream_retries_total{backend="main"} 1');
    expect(body).toContain('aiproxy_auth_refusals_total{reason="invalid_key"} 1');
  });

  it("adds up runs of one label set and keeps another label set apart", async () => {
    const metrics = new AiProxyMetrics();
    noToolRun(metrics, labels, { seconds: 0.5, tokens: 30 });
    noToolRun(metrics, labels, { seconds: 2, tokens: 10 });
    noToolRun(
      metrics,
      { ...labels, assistant: "other", model: "gpt-y" },
      { seconds: 1, tokens: 7 },
    );
    noToolRun(metrics, labels, { seconds: 4, tokens: 1, status: 502 });
    const { body } = await metrics.scrape();
    const helper = 'surface="chat",assistant="helper"';
    expect(body).toContain(`aiproxy_requests_total{${helper},status="200"} 2\n`);
    expect(body).toContain(`aiproxy_requests_total{${helper},status="502"} 1\n`);
    expect(body).toContain(
      'aiproxy_requests_total{surface="chat",assistant="other",status="200"} 1\n',
    );
    expect(body).toContain(`aiproxy_request_duration_seconds_sum{${helper},status="200"} 2.5\n`);
    expect(body).toContain(
      `aiproxy_request_duration_seconds_bucket{le="0.64",${helper},status="200"} 1\n`,
    );
    expect(body).toContain(`aiproxy_time_to_first_token_seconds_sum{${helper}} 3.25\n`);
    expect(body).toContain(`aiproxy_time_to_first_token_seconds_count{${helper}} 3\n`);
    const tokens = (model: string, assistant: string) =>
      `gen_ai_client_token_usage_sum{gen_ai_token_type="input",gen_ai_provider_name="openai",gen_ai_request_model="${model}",assistant="${assistant}",backend="main"}`;
    expect(body).toContain(`${tokens("gpt-x", "helper")} 41\n`);
    expect(body).toContain(`${tokens("gpt-y", "other")} 7\n`);
    expect(body).toMatch(
      /gen_ai_client_operation_duration_seconds_count\{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-x",backend="main",outcome="ok"\} 3\n/,
    );
    expect(body).toContain('aiproxy_tool_rounds_count{assistant="helper"} 3\n');
    expect(body).toContain('aiproxy_open_streams{surface="chat"} 0\n');
    expect(body).toContain('aiproxy_requests_in_flight{surface="chat"} 0\n');
    // Usage without cached or reasoning tokens leaves those series out, as before.
    expect(body).not.toContain('gen_ai_token_type="cached"');
  });

  it("shows a run recorded after the registry was reset, on the series the run had used before", async () => {
    const metrics = new AiProxyMetrics();
    noToolRun(metrics, labels, { seconds: 1, tokens: 30 });
    noToolRun(metrics, labels, { seconds: 1, tokens: 30 });
    metrics.registry.resetMetrics();
    expect((await metrics.scrape()).body).not.toContain('assistant="helper"');

    noToolRun(metrics, labels, { seconds: 2, tokens: 5 });
    const { body } = await metrics.scrape();
    expect(body).toContain(
      'aiproxy_requests_total{surface="chat",assistant="helper",status="200"} 1\n',
    );
    expect(body).toContain(
      'aiproxy_request_duration_seconds_sum{surface="chat",assistant="helper",status="200"} 2\n',
    );
    expect(body).toMatch(/gen_ai_token_type="input",[^}]*assistant="helper",backend="main"\} 5\n/);
    expect(body).toContain('aiproxy_tool_rounds_count{assistant="helper"} 1\n');
  });

  it("keeps counting an assistant's runs after more assistants than its cache holds came and went", async () => {
    const metrics = new AiProxyMetrics();
    noToolRun(metrics, labels, { seconds: 1, tokens: 1 });
    for (let i = 0; i < RUN_SERIES_CAPACITY + 100; i++)
      noToolRun(metrics, { ...labels, assistant: `a${i}` }, { seconds: 1, tokens: 1 });
    noToolRun(metrics, labels, { seconds: 1, tokens: 1 });
    const { body } = await metrics.scrape();
    expect(body).toContain(
      'aiproxy_requests_total{surface="chat",assistant="helper",status="200"} 2\n',
    );
    expect(body).toContain(
      `aiproxy_requests_total{surface="chat",assistant="a${RUN_SERIES_CAPACITY + 99}",status="200"} 1\n`,
    );
  });
});
