import * as z from "zod";

/** A JSON Schema object, as tools declare their parameters. */
export type JsonSchema = { [key: string]: unknown };

/** A tool as offered to a model, in OpenAI's `tools[]` shape. */
export interface ToolDefinition {
  type: "function";
  function: {
    name: string;
    description?: string;
    parameters?: JsonSchema;
    strict?: boolean;
  };
  /** The client's own form of the tool (e.g. Anthropic's, with `cache_control`), for the adapter that reads it. */
  providerData?: Record<string, unknown>;
}

/** OpenAI's `tool_choice`: a mode, or one function the model must call. */
export const toolChoiceSchema = z.union([
  z.enum(["auto", "none", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
]);

export type ToolChoice = z.infer<typeof toolChoiceSchema>;
