import type { TelemetryConfig } from "@aiproxy/config";
import type { TextMapPropagator, Tracer } from "@opentelemetry/api";
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
 * process (tests) keep their traces apart. The SDK and its exporter are
 * loaded only then: a gateway without traces does not hold them in memory.
 */
export async function setupTracing(
  config: TelemetryConfig,
  env: Env,
): Promise<GatewayTracing | undefined> {
  const traces = config.traces;
  const fromEnv = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!traces.otlp_endpoint && !fromEnv) return undefined;
  if (isTrue(env.OTEL_SDK_DISABLED) || env.OTEL_TRACES_EXPORTER === "none") return undefined;
  const [{ W3CTraceContextPropagator }, { OTLPTraceExporter }, resources, sdk] = await Promise.all([
    import("@opentelemetry/core"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/sdk-trace"),
  ]);
  const { detectResources, envDetector, resourceFromAttributes } = resources;
  const { BatchSpanProcessor, TracerProvider } = sdk;
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
