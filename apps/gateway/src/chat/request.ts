import {
  type ChatMessage,
  type GenerationParamKey,
  type GenerationParams,
  generationParamFields,
  InvalidRequestError,
  type ToolDefinition,
} from "@aiproxy/core";
import { clip } from "../http/clip.js";
import { fastParseChatBody } from "./fast-parse.js";
import { type ChatRequestBody, chatRequestSchema } from "./schema.js";

export interface ChatRequest {
  /** The assistant name. */
  model: string;
  messages: ChatMessage[];
  params: GenerationParams;
  clientTools: ToolDefinition[] | undefined;
  stream: boolean;
  includeUsage: boolean;
}

/** What the gateway takes from a request as generation parameters: all but `n`, checked apart. */
const PARAM_KEYS: ReadonlySet<string> = new Set(
  (Object.keys(generationParamFields) as GenerationParamKey[]).filter((key) => key !== "n"),
);

/**
 * Validates a parsed JSON body; every problem becomes a 400 naming its field,
 * as OpenAI does. A common body takes the hand-written fast path; anything
 * it does not fully vouch for goes through zod, which words every error.
 */
export function parseChatRequest(body: unknown): ChatRequest {
  return toChatRequest(fastParseChatBody(body) ?? parseWithZod(body));
}

/** The zod path alone, as every body took before the fast path: the reference the tests hold it to. */
export function parseChatRequestWithZod(body: unknown): ChatRequest {
  return toChatRequest(parseWithZod(body));
}

function parseWithZod(body: unknown): ChatRequestBody {
  const result = chatRequestSchema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue ? paramOf(issue.path) : null;
  const more =
    result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : "";
  throw new InvalidRequestError({
    message: `Invalid request: ${param ? `${param}: ` : ""}${issue?.message ?? "invalid body"}${more}`,
    param,
  });
}

function toChatRequest(data: ChatRequestBody): ChatRequest {
  if (data.n != null && data.n > 1)
    throw new InvalidRequestError({
      message: "n > 1 is not supported: the gateway runs one agent loop per request",
      param: "n",
    });

  // The parsed body's own keys, in the schema's order as both parses write
  // them; looking up each of the 18 names, mostly absent, cost more.
  const params: Record<string, unknown> = {};
  for (const key in data) {
    const value = data[key as keyof ChatRequestBody];
    if (value != null && PARAM_KEYS.has(key)) params[key] = value;
  }
  const stream = data.stream === true;
  return {
    model: data.model,
    messages: data.messages.map(toChatMessage),
    params: params as GenerationParams,
    clientTools: data.tools?.length ? (data.tools as ToolDefinition[]) : undefined,
    stream,
    includeUsage: stream && data.stream_options?.include_usage === true,
  };
}

function toChatMessage(m: ChatRequestBody["messages"][number]): ChatMessage {
  if (m.role !== "assistant") return m as ChatMessage;
  const content =
    m.content == null || typeof m.content === "string"
      ? (m.content ?? null)
      : m.content.map((part) => part.text ?? "").join("");
  return {
    role: "assistant",
    content,
    ...(m.tool_calls?.length ? { tool_calls: m.tool_calls } : {}),
    ...(m.name ? { name: m.name } : {}),
  };
}

/**
 * `["messages", 0, "content"]` -> `messages[0].content`, OpenAI's `param`
 * notation; clipped, since a key in the path (of `metadata`, `logit_bias`)
 * is the client's and may be 10,000 characters long.
 */
function paramOf(path: readonly PropertyKey[]): string | null {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out ? clip(out, 200) : null;
}
