import type { ChatMessage, GenerationParams, LlmRequest } from "@aiproxy/core";

/** The assistant's defaults with every parameter the request sets on top (unset keys do not erase). */
export function mergeParams(
  defaults: GenerationParams | undefined,
  overrides: GenerationParams | undefined,
): GenerationParams {
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value !== undefined) merged[key] = value;
  }
  return merged as GenerationParams;
}

/**
 * Parameters for one step. Tool parameters are removed when no tools are
 * offered (providers reject `tool_choice` without `tools`). A forcing
 * `tool_choice` ("required" or a named function) holds only until the first
 * tool round, as the OpenAI Agents SDK's `reset_tool_choice` does: kept, it
 * would make the model call tools until the budget runs out.
 */
export function stepParams(
  params: GenerationParams,
  { withTools, afterToolRound }: { withTools: boolean; afterToolRound: boolean },
): GenerationParams | undefined {
  const out: GenerationParams = { ...params };
  if (!withTools) {
    delete out.tool_choice;
    delete out.parallel_tool_calls;
  } else if (afterToolRound && out.tool_choice !== undefined && forcesTool(out.tool_choice)) {
    delete out.tool_choice;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function forcesTool(choice: GenerationParams["tool_choice"]): boolean {
  return choice === "required" || typeof choice === "object";
}

/** The input with the system prompt in front, unless the client sent its own. */
export function withSystemPrompt(
  messages: ChatMessage[],
  systemPrompt: string | undefined,
): ChatMessage[] {
  const hasSystem = messages.some((m) => m.role === "system" || m.role === "developer");
  if (!systemPrompt || hasSystem) return [...messages];
  return [{ role: "system", content: systemPrompt }, ...messages];
}

/** A step's request to the run's own backend: its model, these messages, the step's parameters, `extraBody`. */
export function modelRequest(
  options: { model: string; extraBody?: Record<string, unknown> | undefined },
  messages: ChatMessage[],
  params: GenerationParams | undefined,
): LlmRequest {
  const request: LlmRequest = { model: options.model, messages };
  if (params) request.params = params;
  if (options.extraBody) request.extraBody = options.extraBody;
  return request;
}
