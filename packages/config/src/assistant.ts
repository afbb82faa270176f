import * as z from "zod";
import {
  boolean,
  name,
  nonNegativeInt,
  numeric,
  positiveInt,
  stringList,
  text,
  withoutBlanks,
} from "./fields.js";

const toolChoice = z.union(
  [
    z.enum(["auto", "none", "required"]),
    z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
  ],
  { error: () => 'expected "auto", "none", "required" or {type: function, function: {name: ...}}' },
);

const responseFormat = z.preprocess(
  // `response_format: json_object` is short for `{type: json_object}`.
  (value) => (typeof value === "string" ? { type: value } : value),
  z.looseObject({ type: z.string() }),
) as unknown as z.ZodType<
  { type: string; [key: string]: unknown },
  string | { type: string; [key: string]: unknown }
>;

/**
 * Sampling defaults an assistant applies to each request, named as in
 * OpenAI's request body (and core's GenerationParams).
 */
export const paramsFields = z.object({
  temperature: numeric(z.number().min(0).max(2)).optional(),
  top_p: numeric(z.number().min(0).max(1)).optional(),
  max_tokens: positiveInt.optional(),
  max_completion_tokens: positiveInt.optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  seed: numeric(z.number().int()).optional(),
  presence_penalty: numeric(z.number().min(-2).max(2)).optional(),
  frequency_penalty: numeric(z.number().min(-2).max(2)).optional(),
  reasoning_effort: z.string().trim().min(1).optional(),
  response_format: responseFormat.optional(),
  parallel_tool_calls: boolean.optional(),
  tool_choice: toolChoice.optional(),
});

const PARAM_KEYS = Object.keys(paramsFields.shape) as (keyof z.output<typeof paramsFields>)[];

export type AssistantParams = z.output<typeof paramsFields>;

export const assistantFields = z.object({
  name,
  description: z.string().optional(),
  /** The name of a backend. */
  backend: text,
  /** The upstream model id sent to the backend. */
  model: text,
  system_prompt: z.string().optional(),
  /** Names of MCP servers whose tools this assistant sees; one name may be a plain string. */
  mcp_servers: stringList(false).default([]),
  max_tool_iterations: nonNegativeInt.default(10),
  ...paramsFields.shape,
  /** The output's form of the sampling defaults; accepted as input so output round-trips. */
  params: z.preprocess((value) => withoutBlanks(value), paramsFields).optional(),
  /** Merged into the provider's request body last. */
  extra_body: z.record(z.string(), z.unknown()).default({}),
  /** Exposed tool names (`<server>__<tool>`); absent means every tool. */
  tool_allowlist: stringList(false).optional(),
  tool_descriptions: z.record(z.string(), z.string()).default({}),
  /** Arguments pinned per tool: hidden from the model's schema and forced on every call. */
  tool_arguments: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  tool_result_max_chars: positiveInt.optional(),
  /** Stream tool activity to UIs that show it. */
  tool_activity: boolean.default(false),
});

type AssistantFields = z.output<typeof assistantFields>;

/** The assistant as the gateway uses it: sampling defaults gathered under `params`. */
export type AssistantOutput = Flatten<
  Omit<AssistantFields, keyof AssistantParams | "params"> & { params: AssistantParams }
>;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

export const assistantSchema = z.preprocess(
  (value) => withoutBlanks(value),
  assistantFields.transform((fields): AssistantOutput => {
    const params: AssistantParams = { ...fields.params };
    const rest: Record<string, unknown> = { ...fields };
    delete rest.params;
    for (const key of PARAM_KEYS) {
      if (fields[key] !== undefined) (params as Record<string, unknown>)[key] = fields[key];
      delete rest[key];
    }
    rest.mcp_servers = [...new Set(fields.mcp_servers)];
    return { ...(rest as Omit<AssistantOutput, "params">), params };
  }),
);
