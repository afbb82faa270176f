/**
 * The Responses API wire types the renderer produces, as OpenAI documents
 * them (openai-node `resources/responses/responses.ts`), limited to what a
 * gateway run can produce.
 */

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

export interface ResponseOutputText {
  type: "output_text";
  text: string;
  /** Always empty: the gateway adds no citations or log probabilities. */
  annotations: never[];
  logprobs: never[];
}

export interface ResponseReasoningText {
  type: "reasoning_text";
  text: string;
}

export interface ResponseOutputMessage {
  id: string;
  type: "message";
  role: "assistant";
  status: "in_progress" | "completed" | "incomplete";
  content: ResponseOutputText[];
}

export interface ResponseReasoningItem {
  id: string;
  type: "reasoning";
  summary: { type: "summary_text"; text: string }[];
  content: ResponseReasoningText[];
  status?: "in_progress" | "completed" | "incomplete";
}

export interface ResponseFunctionCall {
  id: string;
  type: "function_call";
  call_id: string;
  name: string;
  /** Set when the tool is one of a `namespace` tool's. */
  namespace?: string;
  arguments: string;
  status: "in_progress" | "completed" | "incomplete";
}

/** A tool's own failure, as the API reports it on an `mcp_call`. */
export interface McpToolExecutionError {
  type: "mcp_tool_execution_error";
  content: { type: "text"; text: string }[];
}

export interface ResponseMcpCall {
  id: string;
  type: "mcp_call";
  server_label: string;
  name: string;
  arguments: string;
  output: string | null;
  error: McpToolExecutionError | null;
  status: "in_progress" | "completed" | "failed";
}

export interface ResponseMcpListTools {
  id: string;
  type: "mcp_list_tools";
  server_label: string;
  tools: { name: string; description?: string; input_schema: unknown; annotations: null }[];
  error: string | null;
}

/** An MCP call held for the client's approval (`mcp_approval_response`). */
export interface ResponseMcpApprovalRequest {
  id: string;
  type: "mcp_approval_request";
  server_label: string;
  name: string;
  arguments: string;
}

export type ResponseOutputItem =
  | ResponseOutputMessage
  | ResponseReasoningItem
  | ResponseFunctionCall
  | ResponseMcpCall
  | ResponseMcpListTools
  | ResponseMcpApprovalRequest;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponseError {
  code: string;
  message: string;
}

/**
 * The fields of a response the request decides (echoed back as sent, or
 * their defaults); the renderer fills in the rest.
 */
export interface ResponseRequestFields {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: "auto" | "disabled";
  user: string | null;
}

export interface ResponseObject extends ResponseRequestFields {
  id: string;
  object: "response";
  created_at: number;
  completed_at: number | null;
  status: ResponseStatus;
  error: ResponseError | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  /** The assistant name the client asked for. */
  model: string;
  output: ResponseOutputItem[];
  usage: ResponseUsage | null;
}

interface Seq {
  sequence_number: number;
}

interface ItemRef extends Seq {
  item_id: string;
  output_index: number;
}

export type ResponseStreamEvent =
  | ({
      type:
        | "response.created"
        | "response.in_progress"
        | "response.completed"
        | "response.incomplete"
        | "response.failed";
      response: ResponseObject;
    } & Seq)
  | ({
      type: "response.output_item.added" | "response.output_item.done";
      output_index: number;
      item: ResponseOutputItem;
    } & Seq)
  | ({
      type: "response.content_part.added" | "response.content_part.done";
      content_index: number;
      part: ResponseOutputText | ResponseReasoningText;
    } & ItemRef)
  | ({
      type: "response.output_text.delta";
      content_index: number;
      delta: string;
      logprobs: never[];
    } & ItemRef)
  | ({
      type: "response.output_text.done";
      content_index: number;
      text: string;
      logprobs: never[];
    } & ItemRef)
  | ({ type: "response.reasoning_text.delta"; content_index: number; delta: string } & ItemRef)
  | ({ type: "response.reasoning_text.done"; content_index: number; text: string } & ItemRef)
  | ({
      type: "response.function_call_arguments.delta" | "response.mcp_call_arguments.delta";
      delta: string;
    } & ItemRef)
  | ({
      type: "response.function_call_arguments.done" | "response.mcp_call_arguments.done";
      arguments: string;
    } & ItemRef)
  | ({
      type:
        | "response.mcp_call.in_progress"
        | "response.mcp_call.completed"
        | "response.mcp_call.failed";
    } & ItemRef)
  | ({ type: "error"; code: string | null; message: string; param: string | null } & Seq);

/** The same events before the producer numbers them. */
export type UnnumberedEvent = ResponseStreamEvent extends infer E
  ? E extends ResponseStreamEvent
    ? Omit<E, "sequence_number">
    : never
  : never;
