import * as z from "zod";
import { boolean, httpUrl, withoutBlanks } from "./fields.js";

/** `GET /metrics` (Prometheus text format). */
const metricsFields = z.object({
  enabled: boolean.default(true),
  /**
   * A key for scrapers only. Without it (and without the admin key) the
   * endpoint answers on loopback only, as admin does.
   */
  api_key: z.string().optional(),
});

/**
 * OpenTelemetry traces over OTLP/HTTP. The standard `OTEL_*` variables work
 * too (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, ...); a value
 * here wins over them.
 */
const tracesFields = z.object({
  /** The collector's base URL; `/v1/traces` is appended. Unset (and no `OTEL_EXPORTER_OTLP_*ENDPOINT`): no traces. */
  otlp_endpoint: httpUrl.optional(),
  service_name: z.string().trim().min(1).optional(),
  /** Record prompt and completion text on spans (else `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`). */
  capture_message_content: boolean.optional(),
});

export const telemetryFields = z.object({
  metrics: z.preprocess((value) => withoutBlanks(value), metricsFields).default({ enabled: true }),
  traces: z.preprocess((value) => withoutBlanks(value), tracesFields).default({}),
});

export const telemetrySchema = z
  .preprocess((value) => withoutBlanks(value), telemetryFields)
  .default({ metrics: { enabled: true }, traces: {} });
