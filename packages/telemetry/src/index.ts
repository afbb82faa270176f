export { type RunLabels, UNKNOWN } from "./labels.js";
export {
  AiProxyMetrics,
  type McpServerMetricState,
  type McpServerSample,
  type MetricsOptions,
  type RunMetrics,
} from "./metrics.js";
export {
  extractTraceContext,
  type RunTrace,
  type RunTraceOptions,
  startRunTrace,
} from "./tracing.js";
