import { generationParamFields, toolChoiceSchema } from "@aiproxy/core";
import * as z from "zod";
import { boundedDepth } from "./depth.js";
import {
  boolean,
  type FromText,
  fromText,
  name,
  nonNegativeInt,
  numeric,
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

/**
 * A two-model assistant (names and defaults of the original project): each
 * round `tool_backend`/`tool_model` decides which tools to call and the
 * assistant's own backend writes the reply without seeing any tool.
 */
const twoModelFields = {
  /** The name of the backend that decides; unset means one model does both. */
  tool_backend: name.optional(),
  /** Default: the assistant's `model`. */
  tool_model: text.optional(),
  /** A decision's calls run only at or above the confidence the decider reports. Default 0.5. */
  tool_confidence: numeric(z.number().min(0).max(1)).optional(),
  /** What the decider sees: `turn` (default: system prompt and the last user message on) or `full`. */
  tool_context: z.enum(["turn", "full"]).optional(),
  /** Decisions per turn. Default: `max_tool_iterations`. */
  tool_max_rounds: nonNegativeInt.optional(),
  /** A call made when the turn's first decision runs nothing; `{user}` is the last user message. */
  tool_fallback: z
    .object({
      tool: text,
      arguments: boundedDepth(z.record(z.string(), z.unknown())).default({}),
    })
    .optional(),
  /** Put each executed call's clipped result in the decision record. Default false. */
  expose_tool_results: boolean.optional(),
};

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
  /** How a clipped result is cut: `head` (default) keeps the start, `balanced` keeps every item's start. */
  tool_result_clip: z.enum(["head", "balanced"]).optional(),
  /** Stream tool activity to UIs that show it. */
  tool_activity: boolean.default(false),
  ...twoModelFields,
  /** `all` (default) or `deferred`: the model gets a `search_tools` tool instead of the whole list. */
  tool_loading: z.enum(["all", "deferred"]).optional(),
  /** With `tool_loading: deferred`, exposed tool names offered from the start. */
  always_loaded: stringList(false).optional(),
  /**
   * Exposed tool names whose calls wait for the user's approval (the
   * Responses API's `mcp_approval_request`); surfaces with no way to ask
   * refuse them with a tool error the model sees.
   */
  tool_approval: z.object({ always: stringList(false).default([]) }).optional(),
});

type AssistantFields = z.output<typeof assistantFields>;

/** The assistant as the gateway uses it: sampling defaults gathered under `params`. */
export type AssistantOutput = Flatten<
  Omit<AssistantFields, keyof AssistantParams | "params"> & { params: AssistantParams }
>;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

/**
 * A fallback must name one of the assistant's own tools: the tool list is
 * known only once its servers run, but the server part and the allowlist
 * can be checked now.
 */
function fallbackIssue(fields: AssistantFields): string | undefined {
  const tool = fields.tool_fallback?.tool;
  if (tool === undefined) return undefined;
  const exposed = (server: string) => [
    `${server}__`,
    `${server.replace(/[^A-Za-z0-9_-]/g, "_")}__`,
  ];
  const servers = fields.mcp_servers.filter((server) =>
    exposed(server).some((prefix) => tool.startsWith(prefix) && tool.length > prefix.length),
  );
  if (servers.length === 0)
    return `unknown tool ${JSON.stringify(tool)}: a fallback names one of the assistant's tools as <server>__<tool>, with <server> one of its mcp_servers (${fields.mcp_servers.join(", ") || "none"})`;
  if (fields.tool_allowlist && !fields.tool_allowlist.includes(tool))
    return `tool ${JSON.stringify(tool)} is not in the assistant's tool_allowlist`;
  return undefined;
}

export const assistantSchema = z.preprocess(
  (value) => withoutBlanks(value),
  assistantFields
    .superRefine((fields, ctx) => {
      const issue = fallbackIssue(fields);
      if (issue) ctx.addIssue({ code: "custom", path: ["tool_fallback", "tool"], message: issue });
    })
    .transform((fields): AssistantOutput => {
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
