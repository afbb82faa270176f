import { type GenerationParamKey, generationParamFields } from "@aiproxy/core";
import { type ChatRequestBody, TOOL_NAME } from "./schema.js";

/**
 * A hand-written parse of the common, well-formed chat request, since the
 * whole-body zod parse was a measurable share of the gateway's CPU per
 * request. It gives exactly what `chatRequestSchema` would (the same keys,
 * in the same order, unknown ones dropped) or `undefined` the moment
 * anything is unusual, and the caller then runs the zod parse: every error,
 * with its message and param, still comes from zod. Bailing out is always
 * correct; accepting what zod would reject, or shaping it differently, never is.
 *
 * Inputs are JSON.parse output: objects are checked to be plain
 * (`Object.prototype`, so arrays and exotic objects bail), each property is
 * read once, and outputs are built fresh from known keys only, so a
 * `__proto__` key or an unknown one never reaches them.
 */
export function fastParseChatBody(body: unknown): ChatRequestBody | undefined {
  if (!isJsonObject(body)) return undefined;
  // One pass over the body's keys: reading each of the 19 parameter names
  // instead, mostly absent, cost more than the rest of the parse together.
  let model: unknown;
  let messages: unknown;
  let stream: unknown;
  let streamOptions: unknown;
  let tools: unknown;
  let params: unknown[] | undefined;
  for (const key in body) {
    const value = body[key];
    switch (key) {
      case "model":
        model = value;
        break;
      case "messages":
        messages = value;
        break;
      case "stream":
        stream = value;
        break;
      case "stream_options":
        streamOptions = value;
        break;
      case "tools":
        tools = value;
        break;
      default: {
        const index = PARAM_INDEX.get(key);
        if (index !== undefined) {
          params ??= [];
          params[index] = value;
        }
      }
    }
  }

  if (typeof model !== "string" || model.length === 0) return undefined;
  const parsedMessages = parseMessages(messages);
  if (parsedMessages === undefined) return undefined;
  const out: ChatRequestBody = { model, messages: parsedMessages };
  if (stream !== undefined) {
    if (stream !== null && typeof stream !== "boolean") return undefined;
    out.stream = stream;
  }
  if (streamOptions !== undefined) {
    if (streamOptions === null) out.stream_options = null;
    else {
      if (!isJsonObject(streamOptions)) return undefined;
      const includeUsage = streamOptions.include_usage;
      if (includeUsage === undefined) out.stream_options = {};
      else if (typeof includeUsage === "boolean")
        out.stream_options = { include_usage: includeUsage };
      else return undefined;
    }
  }
  if (tools !== undefined) {
    if (tools === null) out.tools = null;
    else {
      const parsedTools = parseTools(tools);
      if (parsedTools === undefined) return undefined;
      out.tools = parsedTools;
    }
  }
  if (params !== undefined && !parseParams(params, out)) return undefined;
  return out;
}

/** The schema's order, which is the order zod writes the output in. */
const PARAM_FIELDS = Object.entries(generationParamFields) as [
  GenerationParamKey,
  (typeof generationParamFields)[GenerationParamKey],
][];
const PARAM_INDEX = new Map(PARAM_FIELDS.map(([key], index) => [key as string, index]));

/**
 * Each present parameter through its own field schema from core, so the
 * bounds stay in one place: a small parse, far cheaper than the whole body's.
 * Written into `out` in the schema's order; false if one is invalid.
 */
function parseParams(byIndex: readonly unknown[], out: ChatRequestBody): boolean {
  const params = out as Record<GenerationParamKey, unknown>;
  for (let index = 0; index < PARAM_FIELDS.length; index++) {
    const value = byIndex[index];
    if (value === undefined) continue;
    const [key, schema] = PARAM_FIELDS[index] as (typeof PARAM_FIELDS)[number];
    if (value === null) {
      params[key] = null;
      continue;
    }
    const result = schema.safeParse(value);
    if (!result.success) return false;
    params[key] = result.data;
  }
  return true;
}

type MessageBody = ChatRequestBody["messages"][number];
type AssistantBody = Extract<MessageBody, { role: "assistant" }>;
type ToolCallBody = NonNullable<AssistantBody["tool_calls"]>[number];
type ToolBody = NonNullable<ChatRequestBody["tools"]>[number];
type TextPartBody = { type: "text"; text: string };
type JsonObject = { [key: string]: unknown };

function isJsonObject(value: unknown): value is JsonObject {
  return (
    typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}

function parseMessages(value: unknown): MessageBody[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const out: MessageBody[] = [];
  for (let i = 0; i < value.length; i++) {
    const message = parseMessage(value[i]);
    if (message === undefined) return undefined;
    out.push(message);
  }
  return out;
}

function parseMessage(value: unknown): MessageBody | undefined {
  if (!isJsonObject(value)) return undefined;
  const role = value.role;
  switch (role) {
    case "system":
    case "developer":
    case "user": {
      const content = parseContent(value.content);
      if (content === undefined) return undefined;
      const name = value.name;
      if (name === undefined) return { role, content };
      return typeof name === "string" ? { role, content, name } : undefined;
    }
    case "assistant":
      return parseAssistant(value);
    case "tool": {
      const toolCallId = value.tool_call_id;
      if (typeof toolCallId !== "string" || toolCallId.length === 0) return undefined;
      const content = parseContent(value.content);
      if (content === undefined) return undefined;
      return { role, tool_call_id: toolCallId, content };
    }
    default:
      return undefined;
  }
}

/** A string or text parts, which every non-assistant role accepts; image parts bail out to zod. */
function parseContent(value: unknown): string | TextPartBody[] | undefined {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return undefined;
  const out: TextPartBody[] = [];
  for (let i = 0; i < value.length; i++) {
    const part = value[i];
    if (!isJsonObject(part) || part.type !== "text") return undefined;
    const text = part.text;
    if (typeof text !== "string") return undefined;
    out.push({ type: "text", text });
  }
  return out;
}

/** String or null content only: text parts in an assistant turn bail out to zod. */
function parseAssistant(value: JsonObject): AssistantBody | undefined {
  const { content, tool_calls: toolCalls, refusal, name } = value;
  if (content !== undefined && content !== null && typeof content !== "string") return undefined;
  if (refusal !== undefined && refusal !== null && typeof refusal !== "string") return undefined;
  if (name !== undefined && typeof name !== "string") return undefined;
  const calls = toolCalls === undefined ? undefined : parseToolCalls(toolCalls);
  if (toolCalls !== undefined && calls === undefined) return undefined;
  // The schema's refine: an assistant turn says something or calls something.
  if (content == null && !calls?.length) return undefined;
  const out: AssistantBody = { role: "assistant" };
  if (content !== undefined) out.content = content;
  if (calls !== undefined) out.tool_calls = calls;
  if (refusal !== undefined) out.refusal = refusal;
  if (name !== undefined) out.name = name;
  return out;
}

function parseToolCalls(value: unknown): ToolCallBody[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: ToolCallBody[] = [];
  for (let i = 0; i < value.length; i++) {
    const call = value[i];
    if (!isJsonObject(call)) return undefined;
    const { id, type, function: fn } = call;
    if (typeof id !== "string" || id.length === 0) return undefined;
    // The schema defaults an absent type to "function"; null is not absent.
    if (type !== undefined && type !== "function") return undefined;
    if (!isJsonObject(fn)) return undefined;
    const { name, arguments: args } = fn;
    if (typeof name !== "string" || name.length === 0 || typeof args !== "string") return undefined;
    out.push({ id, type: "function", function: { name, arguments: args } });
  }
  return out;
}

function parseTools(value: unknown): ToolBody[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: ToolBody[] = [];
  for (let i = 0; i < value.length; i++) {
    const tool = value[i];
    if (!isJsonObject(tool) || tool.type !== "function") return undefined;
    const fn = tool.function;
    if (!isJsonObject(fn)) return undefined;
    const { name, description, parameters, strict } = fn;
    if (typeof name !== "string" || !TOOL_NAME.test(name)) return undefined;
    const parsed: ToolBody["function"] = { name };
    if (description !== undefined) {
      if (typeof description !== "string") return undefined;
      parsed.description = description;
    }
    if (parameters !== undefined) {
      // zod's record copies the top-level keys but skips an own `__proto__`;
      // a spread would copy it, so such a schema goes the zod way.
      if (!isJsonObject(parameters) || Object.hasOwn(parameters, "__proto__")) return undefined;
      parsed.parameters = { ...parameters };
    }
    if (strict !== undefined) {
      if (strict !== null && typeof strict !== "boolean") return undefined;
      parsed.strict = strict;
    }
    out.push({ type: "function", function: parsed });
  }
  return out;
}
