export {
  type ExchangeConfig,
  type ExchangeOptions,
  isRetryableUpstream,
  parseJsonObject,
  readBody,
  readFailure,
  resolveExchange,
  UpstreamAttempts,
} from "./exchange.js";
export { parseRetryAfter } from "./retry-after.js";
export {
  type Deadline,
  deadline,
  type LinkedSignal,
  linkSignals,
  sleep,
  untilAborted,
} from "./signals.js";
export { readSse, type SseMessage, type SseOptions } from "./sse.js";
export {
  describeCause,
  fetchUpstream,
  isRetryableStatus,
  type RetryPolicy,
  type UpstreamRequestOptions,
  type UpstreamResponse,
  upstreamErrorFrom,
} from "./upstream.js";
