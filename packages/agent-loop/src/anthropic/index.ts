export { anthropicErrorType, toAnthropicError } from "./errors.js";
export type { AnthropicMessageOptions } from "./events.js";
export { toAnthropicMessage } from "./message.js";
export {
  type AnthropicResponseOptions,
  toAnthropicResponse,
  toAnthropicStreamEvents,
} from "./response.js";
export type {
  AnthropicContentBlock,
  AnthropicContentDelta,
  AnthropicErrorBody,
  AnthropicErrorType,
  AnthropicMcpToolResultBlock,
  AnthropicMcpToolUseBlock,
  AnthropicMessage,
  AnthropicStopReason,
  AnthropicStreamEvent,
  AnthropicUsage,
} from "./types.js";
export { toAnthropicUsage, toStopReason } from "./usage.js";
