export { parseJsonObject } from "./body.js";
export { answeredWhole, completionEvents, completionExtensions } from "./completion.js";
export {
  type ExchangeCallOptions,
  type ExchangeConfig,
  type ExchangeOptions,
  exchangeJson,
  exchangeStream,
  resolveExchange,
  type UpstreamBody,
} from "./exchange.js";
export {
  type Deadline,
  deadline,
  type LinkedSignal,
  linkSignals,
  type OwnDeadline,
  sleep,
  untilAborted,
} from "./signals.js";
export type { SseMessage } from "./sse.js";
export type { AttemptInfo, RetryInfo, RetryPolicy } from "./upstream.js";
