import { AiProxyError } from "@aiproxy/core";

/** The label value of anything that is not a config name. */
export const UNKNOWN = "unknown";

/** What labels one run's series: config names only. */
export interface RunLabels {
  /** chat, messages, responses: a fixed set the gateway names. */
  surface: string;
  assistant: string;
  backend: string;
  /** The assistant's configured model id. */
  model: string;
  /** `backend.provider`: openai, anthropic. */
  provider: string;
  /**
   * Other config names an LLM call of the run may carry (a two-model
   * assistant's `tool_backend` and `tool_model`); anything else is `unknown`.
   */
  otherBackends?: ReadonlySet<string>;
  otherModels?: ReadonlySet<string>;
  /** The configured MCP servers: a tool call is labelled with its server only if it is one of them. */
  servers: ReadonlySet<string>;
}

export function known(value: string | undefined, names: ReadonlySet<string>): string {
  return value !== undefined && names.has(value) ? value : UNKNOWN;
}

/** An error as a bounded label value (the OpenTelemetry `error.type`): its stable code, or `error`. */
export function errorType(error: unknown): string {
  return AiProxyError.isInstance(error) ? error.code : "error";
}
