import { InvalidRequestError } from "@aiproxy/core";
import * as z from "zod";

/** One input item, checked per type by `input.ts` so a problem names its exact path. */
const item = z.looseObject({ type: z.string().optional(), role: z.string().optional() });

const textFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    name: z.string().min(1).max(64),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullish(),
  }),
]);

/**
 * OpenAI's Responses request. Documented fields the gateway has no use for
 * (`include`, `prompt_cache_key`, `client_metadata`, `truncation`,
 * `service_tier`, ...) and unknown ones are accepted and dropped, as
 * OpenAI-compatible servers do, so clients such as Codex work unchanged.
 */
const responsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item)]).default([]),
  instructions: z.string().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  tool_choice: z.unknown().optional(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  text: z.looseObject({ format: textFormat.nullish() }).nullish(),
  reasoning: z
    .looseObject({ effort: z.string().nullish(), summary: z.string().nullish() })
    .nullish(),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
  user: z.string().nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  previous_response_id: z.string().min(1).nullish(),
  background: z.boolean().nullish(),
  conversation: z.unknown().optional(),
});

export type ResponsesRequest = z.output<typeof responsesRequestSchema>;
export type RawInputItem = z.output<typeof item>;
export type RawTool = NonNullable<ResponsesRequest["tools"]>[number];

/** Validates a parsed JSON body; every problem becomes a 400 naming its field, as OpenAI does. */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  const result = responsesRequestSchema.safeParse(body);
  if (!result.success) throw zodError(result.error);
  const data = result.data;
  if (data.background === true)
    throw new InvalidRequestError({
      message: "background responses are not supported by this gateway; send background: false",
      param: "background",
    });
  if (data.conversation != null)
    throw new InvalidRequestError({
      message:
        "conversation objects are not supported by this gateway; continue with previous_response_id",
      param: "conversation",
    });
  if (data.metadata && Object.keys(data.metadata).length > 16)
    throw new InvalidRequestError({
      message: "metadata may hold at most 16 keys",
      param: "metadata",
    });
  return data;
}

/** The first issue of a zod error as OpenAI's 400, its path prefixed with `prefix`. */
export function zodError(error: z.ZodError, prefix = ""): InvalidRequestError {
  const issue = error.issues[0];
  const param = paramOf(prefix, issue?.path ?? []);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : "";
  return new InvalidRequestError({
    message: `Invalid request: ${param ? `${param}: ` : ""}${issue?.message ?? "invalid body"}${more}`,
    param,
  });
}

/** `("input[2]", ["content", 0, "text"])` -> `input[2].content[0].text`, OpenAI's `param` notation. */
export function paramOf(prefix: string, path: readonly PropertyKey[]): string | null {
  let out = prefix;
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out || null;
}
