import { type GenerationParamKey, generationParamFields } from "@aiproxy/core";
import * as z from "zod";

/** A client tool's name, as OpenAI bounds it; the fast path (fast-parse.ts) tests the same pattern. */
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

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
    name: z.string().regex(TOOL_NAME, `must match ${TOOL_NAME.source}`),
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
 * OpenAI-compatible servers do. The source of truth for the fast path too:
 * whatever it accepts, it must give exactly what this schema's parse gives.
 */
export const chatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  tools: z.array(tool).nullish(),
  ...params,
});

export type ChatRequestBody = z.output<typeof chatRequestSchema>;
