import { combineHooks, runAgent } from "@aiproxy/agent-loop";
import { describe, expect, it } from "vitest";
import { toolset, toolThenText } from "../test/fakes.js";
import { AiProxyMetrics } from "./metrics.js";

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

describe("AiProxyMetrics", () => {
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
});
