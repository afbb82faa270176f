export { type EventItem, ResponseEventProducer, type ResponsesOptions } from "./events.js";
export { responsesId } from "./ids.js";
export {
  type ResponsesResponseOptions,
  toResponseObject,
  toResponsesResponse,
  toResponsesStreamEvents,
} from "./response.js";
export type {
  McpToolExecutionError,
  ResponseError,
  ResponseFunctionCall,
  ResponseMcpApprovalRequest,
  ResponseMcpCall,
  ResponseMcpListTools,
  ResponseObject,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseOutputText,
  ResponseReasoningItem,
  ResponseRequestFields,
  ResponseStatus,
  ResponseStreamEvent,
  ResponseUsage,
} from "./types.js";
export { toResponseStatus, toResponsesUsage } from "./usage.js";
