import type { ContentPart } from "./messages.js";
import type { JsonSchema } from "./tools.js";

/** A tool a toolset offers, under the name the model sees. */
export interface ToolInfo {
  name: string;
  description?: string;
  inputSchema: JsonSchema;
  /** The MCP server and tool behind the name, for events and logs. */
  server?: string;
  tool?: string;
}

export interface ToolResult {
  /** Text, or parts when the tool returned images. */
  content: string | ContentPart[];
  isError: boolean;
}

export interface ToolCallOptions {
  signal?: AbortSignal;
  /** The model's id for this call, so an observer can tell two calls of one tool apart. */
  callId?: string;
  /**
   * Trace context for this call only (W3C `traceparent`, `tracestate`): an
   * MCP toolset sends it as HTTP headers to an HTTP server and in the
   * request's `_meta`.
   */
  headers?: Record<string, string>;
}

/**
 * What the agent loop needs from tools. `@aiproxy/mcp-fabric` implements it
 * over MCP; an app can implement it over anything.
 */
export interface Toolset {
  list(options?: ToolCallOptions): Promise<ToolInfo[]>;
  /**
   * Runs a tool. A tool's own failure resolves with `isError: true` so the
   * model can recover; only an abort rejects.
   */
  call(name: string, args: Record<string, unknown>, options?: ToolCallOptions): Promise<ToolResult>;
}
