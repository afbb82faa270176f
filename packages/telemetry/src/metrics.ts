import type { LlmCallStartInfo, RunHooks } from "@aiproxy/agent-loop";
import type { Usage } from "@aiproxy/core";
import { Gauge, Registry } from "prom-client";
import { errorType, known, type RunLabels, UNKNOWN } from "./labels.js";
import {
  type OperationLabel,
  type RequestLabel,
  type RunFamilies,
  RunSeriesCache,
  type TokenLabel,
  type TokenType,
} from "./run-series.js";
import { CounterFamily, GaugeFamily, HistogramFamily } from "./series.js";

/** The OpenTelemetry GenAI semantic conventions' advice for `gen_ai.client.token.usage`. */
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
/** ... and for `gen_ai.client.operation.duration`, in seconds. */
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const TOOL_ROUND_BUCKETS = [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20];
const NONE: ReadonlySet<string> = new Set();

export type McpServerMetricState = "idle" | "connecting" | "ready" | "failed" | "breaker-open";
const MCP_STATES: McpServerMetricState[] = [
  "idle",
  "connecting",
  "ready",
  "failed",
  "breaker-open",
];

/** What `/metrics` reports of one MCP server, read at scrape time. */
export interface McpServerSample {
  server: string;
  state: McpServerMetricState | "disabled";
  restarts: number;
}

export interface MetricsOptions {
  /** Default: a new registry, so two gateways in one process do not share series. */
  registry?: Registry;
  /** Read on each scrape. */
  mcpServers?: () => McpServerSample[];
}

/**
 * The gateway's Prometheus metrics. Every label value comes from the caller,
 * which must pass config names only (or `unknown`): nothing a client sends
 * becomes a label, so the number of series is bounded by the config.
 */
export class AiProxyMetrics {
  readonly registry: Registry;
  readonly #requests: CounterFamily<RequestLabel>;
  readonly #requestDuration: HistogramFamily<RequestLabel>;
  readonly #firstToken: HistogramFamily<"surface" | "assistant">;
  readonly #inFlight: GaugeFamily<"surface">;
  readonly #openStreams: GaugeFamily<"surface">;
  readonly #operationDuration: HistogramFamily<OperationLabel>;
  readonly #tokens: HistogramFamily<TokenLabel>;
  readonly #attempts: CounterFamily<"backend" | "outcome">;
  readonly #retries: CounterFamily<"backend">;
  readonly #toolCalls: CounterFamily<"server" | "tool" | "outcome">;
  readonly #toolDuration: HistogramFamily<"server" | "tool" | "outcome">;
  readonly #toolRounds: HistogramFamily<"assistant">;
  readonly #authRefusals: CounterFamily<"reason">;
  /** A run writes ~12 series: bound once per label set, not looked up per write. */
  readonly #runSeries: RunSeriesCache;

  constructor(options: MetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const registry = this.registry;
    const registers = [registry];
    this.#requests = new CounterFamily({
      name: "aiproxy_requests_total",
      help: "Requests by surface, assistant and HTTP status (an error after the first byte counts as its error's status).",
      labelNames: ["surface", "assistant", "status"],
      registry,
    });
    this.#requestDuration = new HistogramFamily({
      name: "aiproxy_request_duration_seconds",
      help: "From the request's arrival to the end of its run (the last byte of a stream).",
      labelNames: ["surface", "assistant", "status"],
      buckets: DURATION_BUCKETS,
      registry,
    });
    this.#firstToken = new HistogramFamily({
      name: "aiproxy_time_to_first_token_seconds",
      help: "From the request's arrival to the first text or reasoning the model produced.",
      labelNames: ["surface", "assistant"],
      buckets: DURATION_BUCKETS,
      registry,
    });
    this.#inFlight = new GaugeFamily({
      name: "aiproxy_requests_in_flight",
      help: "Runs in progress.",
      labelNames: ["surface"],
      registry,
    });
    this.#openStreams = new GaugeFamily({
      name: "aiproxy_open_streams",
      help: "Streamed responses in progress.",
      labelNames: ["surface"],
      registry,
    });
    this.#operationDuration = new HistogramFamily({
      name: "gen_ai_client_operation_duration_seconds",
      help: "Duration of each upstream LLM call (GenAI semantic conventions), by backend and outcome.",
      labelNames: [
        "gen_ai_operation_name",
        "gen_ai_provider_name",
        "gen_ai_request_model",
        "backend",
        "outcome",
      ],
      buckets: DURATION_BUCKETS,
      registry,
    });
    this.#tokens = new HistogramFamily({
      name: "gen_ai_client_token_usage",
      help: "Tokens per LLM call by type: input, output, cached (input), reasoning (output).",
      labelNames: [
        "gen_ai_token_type",
        "gen_ai_provider_name",
        "gen_ai_request_model",
        "assistant",
        "backend",
      ],
      buckets: TOKEN_BUCKETS,
      registry,
    });
    this.#attempts = new CounterFamily({
      name: "aiproxy_upstream_attempts_total",
      help: "HTTP requests sent to upstream LLMs, retries included, by outcome (2xx, 4xx, 5xx, error).",
      labelNames: ["backend", "outcome"],
      registry,
    });
    this.#retries = new CounterFamily({
      name: "aiproxy_upstream_retries_total",
      help: "Upstream requests retried (a retryable status or a broken connection before any output).",
      labelNames: ["backend"],
      registry,
    });
    this.#toolCalls = new CounterFamily({
      name: "aiproxy_tool_calls_total",
      help: "Server-side tool calls by MCP server, tool and outcome (ok, error).",
      labelNames: ["server", "tool", "outcome"],
      registry,
    });
    this.#toolDuration = new HistogramFamily({
      name: "aiproxy_tool_call_duration_seconds",
      help: "Duration of each server-side tool call.",
      labelNames: ["server", "tool", "outcome"],
      buckets: DURATION_BUCKETS,
      registry,
    });
    this.#toolRounds = new HistogramFamily({
      name: "aiproxy_tool_rounds",
      help: "Tool rounds per request.",
      labelNames: ["assistant"],
      buckets: TOOL_ROUND_BUCKETS,
      registry,
    });
    this.#authRefusals = new CounterFamily({
      name: "aiproxy_auth_refusals_total",
      help: "Requests to /v1 refused by the auth chain, by reason (missing_key, invalid_key).",
      labelNames: ["reason"],
      registry,
    });
    this.#runSeries = new RunSeriesCache(this.#runFamilies());
    const mcpServers = options.mcpServers;
    if (mcpServers) {
      new Gauge({
        name: "aiproxy_mcp_server_state",
        help: "1 for each MCP server's current connection state (breaker-open: the breaker hides its tools).",
        labelNames: ["server", "state"],
        registers,
        collect() {
          this.reset();
          for (const sample of mcpServers()) {
            if (sample.state === "disabled") continue;
            for (const state of MCP_STATES)
              this.set({ server: sample.server, state }, state === sample.state ? 1 : 0);
          }
        },
      });
      new Gauge({
        name: "aiproxy_mcp_server_restarts",
        help: "Connection attempts after the first, per MCP server, since it was configured.",
        labelNames: ["server"],
        registers,
        collect() {
          this.reset();
          for (const sample of mcpServers()) this.set({ server: sample.server }, sample.restarts);
        },
      });
    }
  }

  #runFamilies(): RunFamilies {
    return {
      requests: this.#requests,
      requestDuration: this.#requestDuration,
      firstToken: this.#firstToken,
      inFlight: this.#inFlight,
      openStreams: this.#openStreams,
      operationDuration: this.#operationDuration,
      tokens: this.#tokens,
      toolRounds: this.#toolRounds,
    };
  }

  /** The exposition text and its content type, for `GET /metrics`. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  authRefused(reason: "missing_key" | "invalid_key"): void {
    this.#authRefusals.inc({ reason });
  }

  upstreamAttempt(backend: string, status: number): void {
    this.#attempts.inc({
      backend,
      outcome: status === 0 ? "error" : `${Math.floor(status / 100)}xx`,
    });
  }

  upstreamRetry(backend: string): void {
    this.#retries.inc({ backend });
  }

  /** A request that ended without a run (bad body, unknown model, refused): counted, not timed per assistant. */
  request(surface: string, assistant: string, status: number, durationSeconds: number): void {
    const labels = { surface, assistant, status: String(status) };
    this.#requests.inc(labels);
    this.#requestDuration.observe(labels, durationSeconds);
  }

  /**
   * Starts measuring one run; the hooks feed the LLM call, token and tool
   * metrics, and `end` records the request.
   */
  startRun(labels: RunLabels, options: { stream: boolean; started?: number }): RunMetrics {
    const started = options.started ?? performance.now();
    const series = this.#runSeries.of(labels);
    series.inFlight.inc();
    if (options.stream) series.openStreams.inc();
    let firstToken = false;
    // A round is a step whose server-side tools ran; a step handing calls to the client is not.
    const roundSteps = new Set<number>();
    let ended = false;
    const hooks: RunHooks = {
      onLlmFirstToken: () => {
        if (firstToken) return;
        firstToken = true;
        series.firstToken.observe(seconds(started));
      },
      onLlmCallEnd: (info) => {
        const duration = info.durationMs / 1000;
        if (info.backend === undefined && info.error === undefined) {
          series.llmCallOk.observe(duration);
          if (info.usage)
            recordUsage(info.usage, (type, value) => series.tokens[type].observe(value));
          return;
        }
        // A failed call, or a strategy's own (the two-model decider): labelled by config names only.
        const call = callLabels(labels, info);
        this.#operationDuration.observe(
          {
            gen_ai_operation_name: "chat",
            gen_ai_provider_name: call.provider,
            gen_ai_request_model: call.model,
            backend: call.backend,
            outcome: info.error === undefined ? "ok" : errorType(info.error),
          },
          duration,
        );
        if (info.usage)
          recordUsage(info.usage, (type, value) =>
            this.#tokens.observe(
              {
                gen_ai_token_type: type,
                gen_ai_provider_name: call.provider,
                gen_ai_request_model: call.model,
                assistant: labels.assistant,
                backend: call.backend,
              },
              value,
            ),
          );
      },
      onToolCallEnd: (info) => {
        const toolLabels = {
          server: known(info.server, labels.servers),
          // A tool name is only trusted when a configured server reported it.
          tool: info.server && labels.servers.has(info.server) ? (info.tool ?? UNKNOWN) : UNKNOWN,
          outcome: info.isError ? "error" : "ok",
        };
        roundSteps.add(info.step);
        this.#toolCalls.inc(toolLabels);
        this.#toolDuration.observe(toolLabels, info.durationMs / 1000);
      },
    };
    return {
      hooks,
      end: (status: number) => {
        if (ended) return;
        ended = true;
        series.inFlight.dec();
        if (options.stream) series.openStreams.dec();
        series.toolRounds.observe(roundSteps.size);
        const request = series.request(status);
        request.count.inc();
        request.duration.observe(seconds(started));
      },
    };
  }
}

/** The run's own backend, or a strategy's (the two-model decider), by config name only. */
function callLabels(labels: RunLabels, info: LlmCallStartInfo) {
  if (info.backend === undefined)
    return { provider: labels.provider, model: labels.model, backend: labels.backend };
  return {
    provider: info.provider,
    model: known(info.request.model, labels.otherModels ?? NONE),
    backend: known(info.backend, labels.otherBackends ?? NONE),
  };
}

export interface RunMetrics {
  hooks: RunHooks;
  /** Records the request with its final status; later calls do nothing. */
  end(status: number): void;
}

function recordUsage(usage: Usage, record: (type: TokenType, value: number) => void) {
  // Only the optional two may be missing, but a provider's usage is not to be trusted on that.
  if (usage.promptTokens !== undefined) record("input", usage.promptTokens);
  if (usage.completionTokens !== undefined) record("output", usage.completionTokens);
  if (usage.cachedTokens !== undefined) record("cached", usage.cachedTokens);
  if (usage.reasoningTokens !== undefined) record("reasoning", usage.reasoningTokens);
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}
