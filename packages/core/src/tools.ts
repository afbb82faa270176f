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

export type ToolChoice =
  | "auto"
  | "none"
  | "required"
  | { type: "function"; function: { name: string } };
