import { combineHooks, type RunHooks } from "@aiproxy/agent-loop";
import type { TelemetryConfig } from "@aiproxy/config";
import type { AttemptInfo } from "@aiproxy/core";
import {
  AiProxyMetrics,
  extractTraceContext,
  type McpServerSample,
  startRunTrace,
} from "@aiproxy/telemetry";
import type { GatewayTracing } from "./tracing.js";

/** The exchange hooks of one backend: attempts and retries, labelled by its config name. */
export interface ExchangeHooks {
  onAttempt?: (info: AttemptInfo) => void;
  onRetry?: () => void;
}

export interface RunSubject {
  request: Request;
  surface: string;
  assistant: string;
  backend: string;
  model: string;
  provider: string;
  servers: ReadonlySet<string>;
  /** A two-model assistant's `tool_backend` and `tool_model`. */
  otherBackends?: ReadonlySet<string>;
  otherModels?: ReadonlySet<string>;
  requestId: string;
  stream: boolean;
  started: number;
}

export interface ObservedRun {
  hooks: RunHooks | undefined;
  /** Ends the run's metrics with the request's status (the span ends with the run itself). */
  end(status: number): void;
}

/** Metrics and traces for the whole gateway; either may be off. */
export class GatewayTelemetry {
  readonly metrics: AiProxyMetrics | undefined;
  readonly #tracing: GatewayTracing | undefined;

  /** `tracing` comes from `setupTracing`, which loads the OpenTelemetry SDK only when traces are on. */
  constructor(
    config: TelemetryConfig,
    tracing: GatewayTracing | undefined,
    mcpServers: () => McpServerSample[],
  ) {
    this.metrics = config.metrics.enabled ? new AiProxyMetrics({ mcpServers }) : undefined;
    this.#tracing = tracing;
  }

  get tracing(): boolean {
    return this.#tracing !== undefined;
  }

  exchangeHooks(backend: string): ExchangeHooks {
    const metrics = this.metrics;
    if (!metrics) return {};
    return {
      onAttempt: (info) => metrics.upstreamAttempt(backend, info.status),
      onRetry: () => metrics.upstreamRetry(backend),
    };
  }

  observeRun(subject: RunSubject): ObservedRun {
    const measured = this.metrics?.startRun(subject, {
      stream: subject.stream,
      started: subject.started,
    });
    const tracing = this.#tracing;
    const traced =
      tracing &&
      startRunTrace({
        tracer: tracing.tracer,
        propagator: tracing.propagator,
        parent: extractTraceContext(subject.request.headers, tracing.propagator),
        assistant: subject.assistant,
        surface: subject.surface,
        provider: subject.provider,
        model: subject.model,
        requestId: subject.requestId,
        captureContent: tracing.captureContent,
      });
    const hooks =
      measured && traced
        ? combineHooks(measured.hooks, traced.hooks)
        : (measured?.hooks ?? traced?.hooks);
    return { hooks, end: (status) => measured?.end(status) };
  }

  async close(): Promise<void> {
    await this.#tracing?.shutdown();
  }
}

const SURFACES: Record<string, string> = {
  "/v1/chat/completions": "chat",
  "/v1/messages": "messages",
  "/v1/responses": "responses",
};

/** The surface a path belongs to, from a fixed set (a label value). */
export function surfaceOf(path: string): string {
  return SURFACES[path] ?? "other";
}
