export {
  type AnthropicBackendOptions,
  createAnthropicBackend,
  DEFAULT_ANTHROPIC_VERSION,
  DEFAULT_BASE_URL,
} from "./backend.js";
export type { AnthropicProviderData } from "./provider-data.js";
export {
  DEFAULT_MAX_TOKENS,
  PLACEHOLDER_USER_TEXT,
  type ToAnthropicRequestOptions,
  toAnthropicRequest,
} from "./request.js";
export { finishReasonOf, fromAnthropicMessage, usageOf } from "./response.js";
export type {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicUsage,
} from "./wire.js";
