import { generationParamFields, toolChoiceSchema } from "@aiproxy/core";
import * as z from "zod";
import { boundedDepth } from "./depth.js";
import {
  boolean,
  type FromText,
  fromText,
  name,
  nonNegativeInt,
  positiveInt,
  stringList,
  text,
  withoutBlanks,
} from "./fields.js";

/** Fields that describe one request or its caller, not an assistant's defaults. */
const REQUEST_ONLY = [
  "n",
  "user",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "service_tier",
  "metadata",
] as const;

type DefaultableKey = Exclude<keyof typeof generationParamFields, (typeof REQUEST_ONLY)[number]>;

const defaultable = Object.fromEntries(
  Object.entries(generationParamFields)
    .filter(([key]) => !(REQUEST_ONLY as readonly string[]).includes(key))
    .map(([key, schema]) => [key, fromText(schema).optional()]),
) as {
  [K in DefaultableKey]: z.ZodOptional<FromText<(typeof generationParamFields)[K]>>;
};

type ResponseFormat = z.output<typeof generationParamFields.response_format>;

/**
 * Sampling defaults an assistant applies to each request: core's
 * GenerationParams as config reads them (string forms of numbers and
 * booleans, as `${VAR}` gives them).
 */
export const paramsFields = z.object({
  ...defaultable,
  // `response_format: json_object` is short for `{type: json_object}`.
  response_format: (
    z.preprocess(
      (value) => (typeof value === "string" ? { type: value } : value),
      boundedDepth(generationParamFields.response_format),
    ) as unknown as z.ZodType<ResponseFormat, string | ResponseFormat>
  ).optional(),
  tool_choice: z
    .union(toolChoiceSchema.options, {
      error: () => 'expected "auto", "none", "required" or {type: function, function: {name: ...}}',
    })
    .optional(),
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
  extra_body: boundedDepth(z.record(z.string(), z.unknown())).default({}),
  /** Exposed tool names (`<server>__<tool>`); absent means every tool. */
  tool_allowlist: stringList(false).optional(),
  tool_descriptions: z.record(z.string(), z.string()).default({}),
  /** Arguments pinned per tool: hidden from the model's schema and forced on every call. */
  tool_arguments: boundedDepth(z.record(z.string(), z.record(z.string(), z.unknown()))).default({}),
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
