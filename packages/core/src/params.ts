import * as z from "zod";
import { toolChoiceSchema } from "./tools.js";

/**
 * Generation parameters, named and bounded as in OpenAI's request body so they
 * pass through from a client untouched. Adapters map what their provider
 * knows and drop what it does not. This is the one list: the chat surface,
 * the config's assistant defaults and the OpenAI wire type are derived from it.
 */
const fields = z.object({
  temperature: z.number().min(0).max(2),
  top_p: z.number().min(0).max(1),
  max_tokens: z.number().int().positive(),
  max_completion_tokens: z.number().int().positive(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]),
  seed: z.number().int(),
  presence_penalty: z.number().min(-2).max(2),
  frequency_penalty: z.number().min(-2).max(2),
  response_format: z.looseObject({ type: z.string() }),
  tool_choice: toolChoiceSchema,
  parallel_tool_calls: z.boolean(),
  reasoning_effort: z.string(),
  user: z.string(),
  n: z.number().int().positive(),
  logit_bias: z.record(z.string(), z.number()),
  logprobs: z.boolean(),
  top_logprobs: z.number().int().min(0).max(20),
  service_tier: z.string(),
  metadata: z.record(z.string(), z.string()),
});

/** Every field's schema, required: what callers map (`.nullish()`, string coercion) to derive theirs. */
export const generationParamFields = fields.shape;

export const generationParamsSchema = fields.partial();

export type GenerationParams = z.infer<typeof generationParamsSchema>;
export type GenerationParamKey = keyof GenerationParams;

const GENERATION_PARAM_KEYS = Object.keys(generationParamFields) as GenerationParamKey[];

/** Only meaningful when tools are offered, so a backend sends them only then. */
const TOOL_PARAM_KEYS = ["tool_choice", "parallel_tool_calls"] as const;

/**
 * The parameters a backend forwards as they are: every GenerationParams key
 * but the tool ones and `n` (one run produces one choice).
 */
export const SAMPLING_PARAM_KEYS: readonly Exclude<
  GenerationParamKey,
  (typeof TOOL_PARAM_KEYS)[number] | "n"
>[] = GENERATION_PARAM_KEYS.filter(
  (key): key is Exclude<GenerationParamKey, (typeof TOOL_PARAM_KEYS)[number] | "n"> =>
    key !== "n" && !(TOOL_PARAM_KEYS as readonly string[]).includes(key),
);
