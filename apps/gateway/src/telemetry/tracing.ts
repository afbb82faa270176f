import type { TelemetryConfig } from "@aiproxy/config";
import type { TextMapPropagator, Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { VERSION } from "../version.js";

export interface GatewayTracing {
  tracer: Tracer;
  propagator: TextMapPropagator;
  captureContent: boolean;
  /** Sends what is buffered, then stops. */
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/**
 * The OpenTelemetry SDK, set up when an OTLP endpoint is configured
 * (`telemetry.traces.otlp_endpoint` or the standard variables); undefined
 * otherwise, and then spans cost nothing. It is not registered globally:
 * the gateway hands its tracer to the run service, so two gateways in one
 * process (tests) keep their traces apart.
 */
export function setupTracing(config: TelemetryConfig, env: Env): GatewayTracing | undefined {
  const traces = config.traces;
  const fromEnv = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!traces.otlp_endpoint && !fromEnv) return undefined;
  if (isTrue(env.OTEL_SDK_DISABLED) || env.OTEL_TRACES_EXPORTER === "none") return undefined;
  const exporter = new OTLPTraceExporter(
    traces.otlp_endpoint ? { url: `${traces.otlp_endpoint}/v1/traces` } : {},
  );
  const serviceName = traces.service_name ?? env.OTEL_SERVICE_NAME ?? "aiproxy";
  const resource = detectResources({ detectors: [envDetector] }).merge(
    resourceFromAttributes({ "service.name": serviceName, "service.version": VERSION }),
  );
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  return {
    tracer: provider.getTracer("@aiproxy/gateway", VERSION),
    propagator: new W3CTraceContextPropagator(),
    captureContent:
      traces.capture_message_content ??
      isTrue(env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT),
    shutdown: () => provider.shutdown(),
  };
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "true";
}
