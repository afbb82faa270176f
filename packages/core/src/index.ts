export type {
  AssistantMessage,
  ChatMessage,
  ContentPart,
  ImagePart,
  SystemMessage,
  TextPart,
  ToolCall,
  ToolMessage,
  UserMessage,
} from "./messages.js";
export { contentText } from "./messages.js";
export type { JsonSchema, ToolChoice, ToolDefinition } from "./tools.js";
export { addUsage, emptyUsage, type Usage } from "./usage.js";
export type {
  BackendEvent,
  CallOptions,
  Completion,
  FinishReason,
  GenerationParams,
  LlmBackend,
  LlmRequest,
} from "./backend.js";
export type { ToolCallOptions, ToolInfo, ToolResult, Toolset } from "./toolset.js";
export {
  AbortedError,
  AiProxyError,
  AuthenticationError,
  ConflictError,
  InternalError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  ServiceUnavailableError,
  TimeoutError,
  ToolError,
  UpstreamError,
  ValidationError,
  abortError,
  redactSecrets,
  toOpenAIError,
  type AiProxyErrorOptions,
  type OpenAIErrorBody,
  type OpenAIErrorType,
  type UpstreamErrorOptions,
} from "./errors.js";
export * from "./http/index.js";
export { silentLogger, type Logger } from "./logger.js";
