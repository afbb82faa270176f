export type {
  BackendEvent,
  CallOptions,
  Completion,
  FinishReason,
  LlmBackend,
  LlmRequest,
  RelayCallOptions,
  WireEvent,
  WireFormat,
} from "./backend.js";
export {
  AbortedError,
  AiProxyError,
  type AiProxyErrorOptions,
  AuthenticationError,
  abortError,
  ConflictError,
  InternalError,
  InvalidRequestError,
  ModelNotFoundError,
  NotFoundError,
  type OpenAIErrorBody,
  type OpenAIErrorType,
  PayloadTooLargeError,
  PermissionDeniedError,
  ServiceUnavailableError,
  TimeoutError,
  toOpenAIError,
  UpstreamError,
  type UpstreamErrorOptions,
  ValidationError,
} from "./errors.js";
export * from "./http/index.js";
export { findTooDeep, JSON_PATH_MAX_CHARS } from "./json-depth.js";
export { type Logger, silentLogger } from "./logger.js";
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
export {
  type GenerationParamKey,
  type GenerationParams,
  generationParamFields,
  generationParamsSchema,
  SAMPLING_PARAM_KEYS,
} from "./params.js";
export { REDACTED, redactSecrets, redactUrl } from "./redact.js";
export {
  type JsonSchema,
  type ToolChoice,
  type ToolDefinition,
  toolChoiceSchema,
} from "./tools.js";
export type { ToolCallOptions, ToolInfo, ToolResult, Toolset } from "./toolset.js";
export { addUsage, emptyUsage, type Usage } from "./usage.js";
