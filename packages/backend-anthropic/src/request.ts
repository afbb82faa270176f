import {
  type AssistantMessage,
  type ChatMessage,
  type ContentPart,
  contentText,
  type GenerationParams,
  InvalidRequestError,
  type LlmRequest,
  type ToolDefinition,
  type ToolMessage,
} from "@aiproxy/core";
import { nativeMessage, nativeSystem, nativeTool } from "./native.js";
import { storedContent } from "./provider-data.js";
import type {
  AnthropicContentBlock,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolUseBlock,
} from "./wire.js";

export const DEFAULT_MAX_TOKENS = 4096;

/**
 * The Messages API wants the conversation to open with a user turn; when it
 * does not (a system-only request, or history that starts with the
 * assistant), this minimal turn is put first.
 */
export const PLACEHOLDER_USER_TEXT = ".";

export interface ToAnthropicRequestOptions {
  /** `max_tokens` when the request sets neither `max_tokens` nor `max_completion_tokens`. Default 4096. */
  defaultMaxTokens?: number;
  /** Sets `stream: true`. */
  stream?: boolean;
}

/**
 * An OpenAI-shaped request as an Anthropic Messages request body. Pure: no
 * I/O, so it can be tested and reused on its own.
 */
export function toAnthropicRequest(
  request: LlmRequest,
  options: ToAnthropicRequestOptions = {},
): AnthropicMessagesRequest {
  const params = request.params ?? {};
  const body: AnthropicMessagesRequest = {
    model: request.model,
    max_tokens:
      params.max_tokens ??
      params.max_completion_tokens ??
      options.defaultMaxTokens ??
      DEFAULT_MAX_TOKENS,
    messages: toAnthropicMessages(request.messages),
  };
  const system = systemPrompt(request.messages);
  if (system !== undefined) body.system = system;

  const tools = request.tools?.map(toAnthropicTool) ?? [];
  if (tools.length > 0) {
    body.tools = tools;
    const toolChoice = toAnthropicToolChoice(params);
    if (toolChoice) body.tool_choice = toolChoice;
  }
  if (params.temperature != null) body.temperature = params.temperature;
  if (params.top_p != null) body.top_p = params.top_p;
  const stop = typeof params.stop === "string" ? [params.stop] : params.stop;
  if (stop && stop.length > 0) body.stop_sequences = stop;
  if (params.user) body.metadata = { user_id: params.user };
  if (options.stream) body.stream = true;
  // Last, so a caller can set or override anything, e.g. `thinking`.
  return request.extraBody ? { ...body, ...request.extraBody } : body;
}

/**
 * Every system and developer message, wherever it sits, in order, except
 * the client's own inline system turns (sent in `messages`). Blocks when a
 * client sent blocks (their `cache_control` kept), otherwise one string.
 */
function systemPrompt(messages: ChatMessage[]): string | AnthropicTextBlock[] | undefined {
  const system = messages.filter(
    (m) => (m.role === "system" || m.role === "developer") && !nativeMessage(m)?.inline,
  );
  if (system.some((m) => nativeSystem(m))) {
    return system.flatMap((m) => {
      const text = contentText(m.content);
      return nativeSystem(m) ?? (text ? [{ type: "text" as const, text }] : []);
    });
  }
  const parts = system.map((m) => contentText(m.content)).filter(Boolean);
  return parts.length > 0 ? parts.join("\n\n") : undefined;
}

function toAnthropicMessages(messages: ChatMessage[]): AnthropicMessageParam[] {
  const turns: AnthropicMessageParam[] = [];
  for (const message of messages) {
    let turn: AnthropicMessageParam;
    // A copy: merging turns below must not change what the message carries.
    const native =
      message.role === "assistant" ? undefined : nativeMessage(message)?.content.slice();
    switch (message.role) {
      case "system":
      case "developer":
        if (!nativeMessage(message)?.inline) continue;
        turn = { role: "system", content: native ?? [] };
        break;
      case "user":
        turn = { role: "user", content: native ?? toBlocks(message.content) };
        break;
      case "assistant":
        turn = { role: "assistant", content: assistantBlocks(message) };
        break;
      case "tool":
        turn = { role: "user", content: native ?? [toolResultBlock(message)] };
        break;
    }
    if (turn.content.length === 0) continue;
    const previous = turns[turns.length - 1];
    // The API wants strictly alternating turns; consecutive tool results (and
    // a user message after them) become one user turn.
    if (previous?.role === turn.role) previous.content.push(...turn.content);
    else turns.push(turn);
  }
  for (const turn of turns) if (turn.role === "user") toolResultsFirst(turn);
  if (turns[0]?.role !== "user") {
    turns.unshift({ role: "user", content: [{ type: "text", text: PLACEHOLDER_USER_TEXT }] });
  }
  return turns;
}

/** The API requires a user turn's tool_result blocks to come before anything else. */
function toolResultsFirst(turn: AnthropicMessageParam): void {
  const results = turn.content.filter((block) => block.type === "tool_result");
  if (results.length === 0) return;
  turn.content = [...results, ...turn.content.filter((block) => block.type !== "tool_result")];
}

function toBlocks(
  content: string | ContentPart[],
): Array<AnthropicTextBlock | AnthropicImageBlock> {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  const blocks: Array<AnthropicTextBlock | AnthropicImageBlock> = [];
  for (const part of content) {
    if (part.type === "text") {
      // The API rejects empty text blocks.
      if (part.text) blocks.push({ type: "text", text: part.text });
    } else if (part.type === "image_url") {
      blocks.push(toImageBlock(part.image_url.url));
    }
  }
  return blocks;
}

function toImageBlock(url: string): AnthropicImageBlock {
  if (url.startsWith("data:")) {
    const comma = url.indexOf(",");
    if (comma < 0) throw new InvalidRequestError({ message: "Malformed data: URL in image_url" });
    const meta = url.slice(5, comma).split(";");
    const mediaType = meta[0] || "text/plain";
    const payload = url.slice(comma + 1);
    const data = meta.includes("base64")
      ? payload
      : Buffer.from(decodeURIComponent(payload), "utf8").toString("base64");
    return { type: "image", source: { type: "base64", media_type: mediaType, data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  throw new InvalidRequestError({
    message: "image_url must be an http(s) URL or a data: URL",
    param: "messages",
  });
}

function assistantBlocks(message: AssistantMessage): AnthropicContentBlock[] {
  const toolCalls = message.tool_calls ?? [];
  const stored = storedContent(message.providerData);
  if (
    stored &&
    sameToolUses(
      stored,
      toolCalls.map((call) => call.id),
    )
  ) {
    // Thinking blocks must go back unmodified and in their original order,
    // so the turn as the API produced it is the safest thing to send.
    return stored.filter(
      (block) => !(block.type === "text" && !(block as AnthropicTextBlock).text),
    );
  }
  const blocks: AnthropicContentBlock[] = [];
  // If the turn was edited since, its thinking blocks still lead it.
  if (stored) {
    for (const block of stored) {
      if (block.type === "thinking" || block.type === "redacted_thinking") blocks.push(block);
    }
  }
  const text = message.content ?? "";
  if (text) blocks.push({ type: "text", text });
  for (const call of toolCalls) {
    const block: AnthropicToolUseBlock = {
      type: "tool_use",
      id: call.id,
      name: call.function.name,
      input: parseArguments(call.function.arguments),
    };
    blocks.push(block);
  }
  return blocks;
}

function sameToolUses(blocks: AnthropicContentBlock[], ids: string[]): boolean {
  const stored = blocks
    .filter((block) => block.type === "tool_use")
    .map((block) => (block as AnthropicToolUseBlock).id);
  return stored.length === ids.length && stored.every((id, i) => id === ids[i]);
}

/**
 * `tool_use.input` must be an object. Arguments that are not a JSON object
 * (a model can emit broken JSON, e.g. when cut off by max_tokens) are sent
 * as `{}`: the tool result that follows tells the model what went wrong.
 */
function parseArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Fall through.
  }
  return {};
}

function toolResultBlock(message: ToolMessage): AnthropicContentBlock {
  const block: AnthropicContentBlock = { type: "tool_result", tool_use_id: message.tool_call_id };
  if (typeof message.content === "string") {
    if (message.content) block.content = message.content;
  } else {
    const parts = toBlocks(message.content);
    if (parts.length > 0) block.content = parts;
  }
  if (message.isError) block.is_error = true;
  return block;
}

function toAnthropicTool(tool: ToolDefinition): AnthropicTool {
  const native = nativeTool(tool);
  if (native) return native;
  const { name, description, parameters } = tool.function;
  // OpenAI allows a tool without parameters; Anthropic needs an object schema.
  const input_schema = (
    parameters ? { type: "object", ...parameters } : { type: "object", properties: {} }
  ) as AnthropicTool["input_schema"];
  return description ? { name, description, input_schema } : { name, input_schema };
}

function toAnthropicToolChoice(params: GenerationParams): AnthropicToolChoice | undefined {
  const choice = params.tool_choice;
  const single = params.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === "none") return { type: "none" };
  if (choice === "required") return { type: "any", ...single };
  if (typeof choice === "object") return { type: "tool", name: choice.function.name, ...single };
  if (choice === "auto" || params.parallel_tool_calls === false) return { type: "auto", ...single };
  return undefined;
}
