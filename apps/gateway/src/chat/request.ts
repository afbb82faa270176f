import {
  type ChatMessage,
  type GenerationParamKey,
  type GenerationParams,
  generationParamFields,
  InvalidRequestError,
  type ToolDefinition,
} from "@aiproxy/core";
import * as z from "zod";
import { clip } from "../http/clip.js";

const text = z.object({ type: z.literal("text"), text: z.string() });
const image = z.object({
  type: z.literal("image_url"),
  image_url: z.object({
    url: z.string().min(1),
    detail: z.enum(["auto", "low", "high"]).optional(),
  }),
});
const userPart = z.discriminatedUnion("type", [text, image]);

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal("function").default("function"),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const name = z.string().optional();

const message = z.discriminatedUnion("role", [
  z.object({
    role: z.enum(["system", "developer"]),
    content: z.union([z.string(), z.array(text)]),
    name,
  }),
  z.object({ role: z.literal("user"), content: z.union([z.string(), z.array(userPart)]), name }),
  z
    .object({
      role: z.literal("assistant"),
      // Clients send text parts back in assistant turns too; they are joined.
      content: z
        .union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }))])
        .nullish(),
      tool_calls: z.array(toolCall).optional(),
      refusal: z.string().nullish(),
      name,
    })
    .refine((m) => m.content != null || (m.tool_calls?.length ?? 0) > 0, {
      message: "an assistant message needs content or tool_calls",
    }),
  z.object({
    role: z.literal("tool"),
    tool_call_id: z.string().min(1),
    content: z.union([z.string(), z.array(text)]),
  }),
]);

const tool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must match ^[A-Za-z0-9_-]{1,64}$"),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

/** Core's generation parameters, each also accepting null (clients send `"seed": null`). */
const params = Object.fromEntries(
  Object.entries(generationParamFields).map(([key, schema]) => [key, schema.nullish()]),
) as { [K in GenerationParamKey]: z.ZodOptional<z.ZodNullable<(typeof generationParamFields)[K]>> };

/**
 * OpenAI's chat-completions request. Every documented field is accepted;
 * fields the gateway has no use for (and unknown ones) are dropped, as
 * OpenAI-compatible servers do.
 */
const chatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  tools: z.array(tool).nullish(),
  ...params,
});

type ChatRequestBody = z.output<typeof chatRequestSchema>;

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
const PARAM_KEYS = (Object.keys(generationParamFields) as GenerationParamKey[]).filter(
  (key) => key !== "n",
);

/** Validates a parsed JSON body; every problem becomes a 400 naming its field, as OpenAI does. */
export function parseChatRequest(body: unknown): ChatRequest {
  const result = chatRequestSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const param = issue ? paramOf(issue.path) : null;
    const more =
      result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : "";
    throw new InvalidRequestError({
      message: `Invalid request: ${param ? `${param}: ` : ""}${issue?.message ?? "invalid body"}${more}`,
      param,
    });
  }
  const data = result.data;
  if (data.n != null && data.n > 1)
    throw new InvalidRequestError({
      message: "n > 1 is not supported: the gateway runs one agent loop per request",
      param: "n",
    });

  const params: Record<string, unknown> = {};
  for (const key of PARAM_KEYS) if (data[key] != null) params[key] = data[key];
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
