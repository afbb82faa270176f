export { parseRetryAfter } from "./retry-after.js";
export { readSse, type SseMessage, type SseOptions } from "./sse.js";
export { deadline, sleep, type Deadline } from "./signals.js";
export {
  fetchUpstream,
  upstreamErrorFrom,
  type RetryPolicy,
  type UpstreamRequestOptions,
  type UpstreamResponse,
} from "./upstream.js";
