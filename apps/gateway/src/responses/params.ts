import type { GenerationParams, ToolChoice } from "@aiproxy/core";
import type { ResponsesRequest } from "./request.js";

/** The request's sampling and output fields in core's (chat-completions) terms. */
export function toParams(request: ResponsesRequest): GenerationParams {
  const params: GenerationParams = {};
  if (request.temperature != null) params.temperature = request.temperature;
  if (request.top_p != null) params.top_p = request.top_p;
  if (request.max_output_tokens != null) params.max_completion_tokens = request.max_output_tokens;
  if (request.parallel_tool_calls != null) params.parallel_tool_calls = request.parallel_tool_calls;
  if (request.reasoning?.effort != null) params.reasoning_effort = request.reasoning.effort;
  if (request.user != null) params.user = request.user;
  const format = request.text?.format;
  if (format?.type === "json_object") params.response_format = { type: "json_object" };
  else if (format?.type === "json_schema") {
    const { name, schema, description, strict } = format as {
      name: string;
      schema: Record<string, unknown>;
      description?: string;
      strict?: boolean | null;
    };
    params.response_format = {
      type: "json_schema",
      json_schema: {
        name,
        schema,
        ...(description !== undefined && { description }),
        ...(strict != null && { strict }),
      },
    };
  }
  const toolChoice = toToolChoice(request.tool_choice);
  if (toolChoice !== undefined) params.tool_choice = toolChoice;
  return params;
}

/**
 * Responses' `tool_choice` as chat's. A forced hosted tool the gateway
 * dropped has no equivalent and is left to the model (`auto`); a forced
 * MCP tool or an `allowed_tools` set in `required` mode means some tool
 * must be called.
 */
function toToolChoice(choice: unknown): ToolChoice | undefined {
  if (choice === "auto" || choice === "none" || choice === "required") return choice;
  if (!choice || typeof choice !== "object") return undefined;
  const { type, name, mode } = choice as { type?: unknown; name?: unknown; mode?: unknown };
  if (type === "function" && typeof name === "string")
    return { type: "function", function: { name } };
  if (type === "mcp") return "required";
  if (type === "allowed_tools") return mode === "required" ? "required" : undefined;
  return undefined;
}
