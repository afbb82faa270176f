import {
  type AssistantMessage,
  type ChatMessage,
  type ContentPart,
  type GenerationParams,
  InvalidRequestError,
  type ToolCall,
  type ToolChoice,
  type ToolDefinition,
  type ToolMessage,
} from "@aiproxy/core";
import * as z from "zod";

/** Anthropic's own limit on one image (https://docs.anthropic.com/en/docs/build-with-claude/vision). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });
const imageBlock = z.looseObject({
  type: z.literal("image"),
  source: z.discriminatedUnion("type", [
    z.looseObject({ type: z.literal("base64"), media_type: z.string().min(1), data: z.string() }),
    z.looseObject({ type: z.literal("url"), url: z.string().min(1) }),
  ]),
});
const documentBlock = z.looseObject({
  type: z.literal("document"),
  source: z.looseObject({ type: z.string() }),
  title: z.string().nullish(),
  context: z.string().nullish(),
});
const toolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});
const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).nullish(),
  is_error: z.boolean().nullish(),
});
const thinkingBlock = z.looseObject({
  type: z.literal("thinking"),
  thinking: z.string(),
  signature: z.string(),
});
const redactedThinkingBlock = z.looseObject({
  type: z.literal("redacted_thinking"),
  data: z.string(),
});

/** Blocks are checked one by one after the envelope, so an unknown type can get its own answer. */
const anyBlock = z.looseObject({ type: z.string() });
const content = z.union([z.string(), z.array(anyBlock)]);

const message = z.object({
  // `system` inside `messages` is not Anthropic's, but Claude Code sends it; it is read as a system prompt.
  role: z.enum(["user", "assistant", "system"]),
  content,
});

const tool = z.looseObject({
  name: z.string().min(1).max(128),
  /** Absent or "custom" for a client tool; anything else is one of Anthropic's server tools. */
  type: z.string().nullish(),
  description: z.string().nullish(),
  input_schema: z.looseObject({ type: z.literal("object") }).nullish(),
});

const toolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().nullish() }),
  z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().nullish() }),
  z.object({
    type: z.literal("tool"),
    name: z.string().min(1),
    disable_parallel_tool_use: z.boolean().nullish(),
  }),
  z.object({ type: z.literal("none") }),
]);

const thinking = z.looseObject({
  type: z.enum(["enabled", "disabled", "adaptive"]),
  budget_tokens: z.number().int().positive().nullish(),
});

const fields = {
  model: z.string().min(1),
  messages: z.array(message).min(1),
  system: z.union([z.string(), z.array(textBlock)]).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  thinking: thinking.nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  stream: z.boolean().nullish(),
};

/**
 * Anthropic's Messages request. Unknown fields are kept: an Anthropic
 * backend is sent them as they came (see `nativeFields`), any other never.
 */
const messagesRequestSchema = z.looseObject({
  ...fields,
  max_tokens: z.number().int().positive(),
});
/** `count_tokens` takes the same body without `max_tokens` or `stream`. */
const countTokensRequestSchema = z.looseObject(fields);

export type MessagesRequest = z.output<typeof countTokensRequestSchema> & { max_tokens?: number };

/** Validates a parsed JSON body; every problem is a 400 naming its field, as Anthropic does. */
export function parseMessagesRequest(body: unknown): MessagesRequest {
  return parseWith(messagesRequestSchema, body);
}

export function parseCountTokensRequest(body: unknown): MessagesRequest {
  return parseWith(countTokensRequestSchema, body);
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? pathOf(issue.path) : "";
  const missing = isMissing(issue);
  const more =
    result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : "";
  throw new InvalidRequestError({
    message: `${path ? `${path}: ` : ""}${missing ? "Field required" : (issue?.message ?? "invalid body")}${more}`,
    param: path || null,
  });
}

/** What the Messages surface hands the run service. */
export interface MessagesRun {
  messages: ChatMessage[];
  clientTools: ToolDefinition[] | undefined;
  params: GenerationParams;
  extraBody: Record<string, unknown>;
}

export interface ToCanonicalOptions {
  /**
   * True when the assistant's backend speaks Anthropic's wire: every
   * message and tool keeps the client's own form beside the canonical one
   * (`providerData.anthropic`, which only that adapter reads), and every
   * top-level field the gateway does not set itself is forwarded. An
   * OpenAI-compatible backend gets the mapping documented in the README.
   */
  anthropicBackend: boolean;
}

/**
 * A Messages request in canonical (OpenAI chat) terms. For an Anthropic
 * backend nothing is lost: the client's blocks ride along as they came
 * (`cache_control`, signatures, PDFs, types this code does not know). For
 * any other: text documents become text; thinking blocks and `cache_control`
 * are dropped; tools with `defer_loading` are left out; any other block type
 * is a 400. Either way `mcp_tool_use` / `mcp_tool_result` blocks (the
 * gateway's own tool activity, sent back) are dropped.
 */
export function toCanonical(request: MessagesRequest, options: ToCanonicalOptions): MessagesRun {
  const native = options.anthropicBackend;
  const messages: ChatMessage[] = [];
  const system = systemText(request.system);
  if (system) {
    const message: ChatMessage = { role: "system", content: system };
    if (native && Array.isArray(request.system))
      message.providerData = { anthropic: { content: request.system } };
    messages.push(message);
  }

  let openToolUses = new Set<string>();
  request.messages.forEach((m, i) => {
    const at = `messages.${i}.content`;
    if (m.role === "system") {
      const text = typeof m.content === "string" ? m.content : textOf(m.content, at);
      if (!text) return;
      const message: ChatMessage = { role: "system", content: text };
      // Claude Code's system turn inside `messages`: Anthropic takes it there, in its place.
      if (native)
        message.providerData = { anthropic: { content: blocksOf(m.content), inline: true } };
      messages.push(message);
      return;
    }
    if (m.role === "assistant") {
      const converted = assistantMessage(m.content, at, options);
      openToolUses = new Set(converted.tool_calls?.map((call) => call.id));
      messages.push(converted);
      return;
    }
    if (m.content.length === 0)
      // An empty user turn would leave nothing for the model to answer.
      throw new InvalidRequestError({
        message: `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
        param: at,
      });
    messages.push(...userMessages(m.content, at, openToolUses, native));
    openToolUses = new Set();
  });

  return {
    messages,
    clientTools: clientTools(request.tools, native),
    params: params(request),
    extraBody: native ? nativeFields(request) : {},
  };
}

function blocksOf(content: string | Array<{ type: string }>): Array<{ type: string }> {
  if (typeof content !== "string") return content;
  const text: { type: string; text: string } = { type: "text", text: content };
  return [text];
}

function systemText(system: MessagesRequest["system"]): string {
  if (system == null) return "";
  if (typeof system === "string") return system;
  return system.map((block) => block.text).join("\n\n");
}

function textOf(blocks: Array<{ type: string }>, at: string): string {
  return blocks
    .map((block, j) => {
      if (block.type !== "text") unsupported(block.type, `${at}.${j}`);
      return check(textBlock, block, `${at}.${j}`).text;
    })
    .join("\n\n");
}

function userMessages(
  content: string | Array<{ type: string }>,
  at: string,
  openToolUses: Set<string>,
  native: boolean,
): ChatMessage[] {
  if (typeof content === "string") return [{ role: "user", content }];
  const results: ToolMessage[] = [];
  const parts: ContentPart[] = [];
  const others: Array<{ type: string }> = [];
  const partsOf = (block: { type: string }, where: string) =>
    native ? nativePart(block, where) : userPart(block, where);
  content.forEach((block, j) => {
    const where = `${at}.${j}`;
    switch (block.type) {
      case "tool_result": {
        const result = check(toolResultBlock, block, where);
        if (!openToolUses.has(result.tool_use_id))
          throw new InvalidRequestError({
            message: `${where}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${result.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
            param: where,
          });
        const resultContent =
          typeof result.content === "string"
            ? result.content
            : (result.content ?? []).flatMap((part, k) => partsOf(part, `${where}.content.${k}`));
        const message: ToolMessage = {
          role: "tool",
          tool_call_id: result.tool_use_id,
          content: resultContent,
        };
        if (result.is_error) message.isError = true;
        if (native) message.providerData = { anthropic: { content: [block] } };
        results.push(message);
        return;
      }
      default:
        parts.push(...partsOf(block, where));
        others.push(block);
    }
  });
  const out: ChatMessage[] = [...results];
  if (native && others.length > 0)
    out.push({ role: "user", content: parts, providerData: { anthropic: { content: others } } });
  else if (parts.length > 0) out.push({ role: "user", content: parts });
  return out;
}

/**
 * A block bound for an Anthropic backend, which is sent the block itself:
 * its canonical parts are what the gateway can read of it, and a block it
 * cannot read (a PDF, a type newer than this code) has none rather than
 * being refused. Images are still checked against Anthropic's limit.
 */
function nativePart(block: { type: string }, where: string): ContentPart[] {
  switch (block.type) {
    case "text":
    case "image":
      return userPart(block, where);
    case "document": {
      const document = documentBlock.safeParse(block);
      if (!document.success) return userPart(block, where);
      try {
        return [{ type: "text", text: documentText(document.data, where) }];
      } catch {
        return [];
      }
    }
    default:
      return [];
  }
}

/** A user block (or a tool result's) as canonical parts. */
function userPart(block: { type: string }, where: string): ContentPart[] {
  switch (block.type) {
    case "text":
      return [{ type: "text", text: check(textBlock, block, where).text }];
    case "image": {
      const { source } = check(imageBlock, block, where);
      if (source.type === "url") return [{ type: "image_url", image_url: { url: source.url } }];
      // Base64 is 4 characters per 3 bytes.
      const bytes = Math.floor((source.data.replace(/=+$/, "").length * 3) / 4);
      if (bytes > MAX_IMAGE_BYTES)
        throw new InvalidRequestError({
          message: `${where}.source.base64: image exceeds 5 MB maximum: ${bytes} bytes > ${MAX_IMAGE_BYTES} bytes`,
          param: `${where}.source`,
        });
      return [
        {
          type: "image_url",
          image_url: { url: `data:${source.media_type};base64,${source.data}` },
        },
      ];
    }
    case "document":
      return [{ type: "text", text: documentText(check(documentBlock, block, where), where) }];
    default:
      return unsupported(block.type, where);
  }
}

/** Text documents (a `text` or a `content` source) as text; PDFs have no canonical form yet. */
function documentText(document: z.output<typeof documentBlock>, where: string): string {
  const { source } = document;
  let text: string | undefined;
  if (source.type === "text" && typeof source.data === "string") text = source.data;
  else if (source.type === "content") {
    const inner = source.content;
    if (typeof inner === "string") text = inner;
    else if (Array.isArray(inner))
      text = textOf(inner as Array<{ type: string }>, `${where}.source.content`);
  }
  if (text === undefined)
    throw new InvalidRequestError({
      message: `${where}.source: document sources of type '${String(source.type)}' are not supported by this gateway; send the document's text (source type 'text')`,
      param: `${where}.source`,
    });
  const heading = [document.title, document.context].filter(Boolean).join("\n");
  return heading ? `${heading}\n\n${text}` : text;
}

function assistantMessage(
  content: string | Array<{ type: string }>,
  at: string,
  options: ToCanonicalOptions,
): AssistantMessage {
  if (typeof content === "string") return { role: "assistant", content };
  let text = "";
  const toolCalls: ToolCall[] = [];
  const kept: Array<Record<string, unknown>> = [];
  content.forEach((block, j) => {
    const where = `${at}.${j}`;
    switch (block.type) {
      case "text":
        text += check(textBlock, block, where).text;
        kept.push(block);
        return;
      case "tool_use": {
        const use = check(toolUseBlock, block, where);
        toolCalls.push({
          id: use.id,
          type: "function",
          function: { name: use.name, arguments: JSON.stringify(use.input ?? {}) },
        });
        kept.push(block);
        return;
      }
      case "thinking":
      case "redacted_thinking":
        if (block.type === "thinking") check(thinkingBlock, block, where);
        else check(redactedThinkingBlock, block, where);
        kept.push(block);
        return;
      case "mcp_tool_use":
      case "mcp_tool_result":
        // The gateway's own tool activity: the rounds already ran on the server.
        return;
      default:
        if (!options.anthropicBackend) unsupported(block.type, where);
        kept.push(block);
    }
  });
  const message: AssistantMessage = {
    role: "assistant",
    content: text || (toolCalls.length > 0 ? null : ""),
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  // The Anthropic adapter sends a turn it finds here back exactly, signatures
  // and `cache_control` included.
  if (options.anthropicBackend) message.providerData = { anthropic: { content: kept } };
  return message;
}

/**
 * For an Anthropic backend every tool is sent as the client declared it
 * (server tools and `defer_loading` included). Any other backend gets the
 * client tools as functions, without the deferred ones: they are meant to
 * stay out of the model's context until a tool search finds them, which an
 * OpenAI-compatible backend cannot do.
 */
function clientTools(
  tools: MessagesRequest["tools"],
  native: boolean,
): ToolDefinition[] | undefined {
  if (!tools?.length) return undefined;
  if (native)
    return tools.map((t) => ({
      type: "function",
      function: {
        name: t.name,
        ...(t.description && { description: t.description }),
        parameters: (t.input_schema as Record<string, unknown> | undefined) ?? { type: "object" },
      },
      providerData: { anthropic: { tool: t } },
    }));
  const offered = tools.flatMap((t, i) => {
    if (t.defer_loading === true) return [];
    if (t.type != null && t.type !== "custom")
      throw new InvalidRequestError({
        message: `tools.${i}: server tool type '${t.type}' is not supported by this gateway; only client tools (with input_schema) are`,
        param: `tools.${i}.type`,
      });
    if (!t.input_schema)
      throw new InvalidRequestError({
        message: `tools.${i}.input_schema: Field required`,
        param: `tools.${i}.input_schema`,
      });
    const definition: ToolDefinition = {
      type: "function",
      function: { name: t.name, parameters: t.input_schema as Record<string, unknown> },
    };
    if (t.description) definition.function.description = t.description;
    return [definition];
  });
  return offered.length > 0 ? offered : undefined;
}

function params(request: MessagesRequest): GenerationParams {
  const out: GenerationParams = {};
  if (request.max_tokens != null) out.max_tokens = request.max_tokens;
  if (request.temperature != null) out.temperature = request.temperature;
  if (request.top_p != null) out.top_p = request.top_p;
  if (request.stop_sequences?.length) out.stop = request.stop_sequences;
  if (request.metadata?.user_id) out.user = request.metadata.user_id;
  const choice = request.tool_choice;
  if (choice) {
    out.tool_choice = toolChoiceOf(choice);
    if ("disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use)
      out.parallel_tool_calls = false;
  }
  return out;
}

function toolChoiceOf(choice: NonNullable<MessagesRequest["tool_choice"]>): ToolChoice {
  switch (choice.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      return { type: "function", function: { name: choice.name } };
  }
}

/** Top-level fields the gateway sets itself from the canonical request; every other is forwarded. */
const REWRITTEN = new Set([
  "model",
  "messages",
  "system",
  "tools",
  "tool_choice",
  "max_tokens",
  "temperature",
  "top_p",
  "stop_sequences",
  "stream",
]);

/**
 * What an Anthropic backend gets as the client sent it: `thinking`,
 * `top_k`, `metadata`, `context_management`, `output_config`, and fields
 * newer than this code.
 */
function nativeFields(request: MessagesRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request))
    if (!REWRITTEN.has(key) && value !== undefined && value !== null) out[key] = value;
  return out;
}

function check<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [where, ...(issue ? [pathOf(issue.path)] : [])].filter(Boolean).join(".");
  const missing = isMissing(issue);
  throw new InvalidRequestError({
    message: `${path}: ${missing ? "Field required" : (issue?.message ?? "invalid block")}`,
    param: path,
  });
}

/** zod reports a missing field as an invalid type whose input was undefined. */
function isMissing(issue: z.core.$ZodIssue | undefined): boolean {
  return issue?.code === "invalid_type" && /received undefined$/.test(issue.message);
}

function unsupported(type: string, where: string): never {
  throw new InvalidRequestError({
    message: `${where}.type: content blocks of type '${type}' are not supported by this gateway for this assistant`,
    param: `${where}.type`,
  });
}

/** `["messages", 0, "content"]` -> `messages.0.content`, the notation Anthropic's messages use. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}
