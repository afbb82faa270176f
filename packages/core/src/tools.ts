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
}

/** OpenAI's `tool_choice`: a mode, or one function the model must call. */
export const toolChoiceSchema = z.union([
  z.enum(["auto", "none", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
]);

export type ToolChoice = z.infer<typeof toolChoiceSchema>;
