import type { JsonSchema, Logger } from "@aiproxy/core";
import type {
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
} from "@modelcontextprotocol/sdk/types.js";

/** A server's prompts and resources, in the MCP SDK's own shapes. */
export type McpPrompt = Prompt;
export type McpPromptResult = GetPromptResult;
export type McpResource = Resource;
export type McpResourceTemplate = ResourceTemplate;
export type McpResourceContents = ReadResourceResult;

/** One MCP server, as the fabric connects to it. */
export type McpServerSpec =
  | {
      name: string;
      transport: "stdio";
      command: string;
      args?: string[];
      /** Added to a minimal environment (PATH, HOME, ...); the gateway's own is never passed on. */
      env?: Record<string, string>;
      cwd?: string;
      /** Per tool call (and per connect/list request); default 60 s. */
      timeoutMs?: number;
    }
  | {
      name: string;
      transport: "sse" | "streamable-http";
      url: string;
      headers?: Record<string, string>;
      timeoutMs?: number;
    };

export interface RestartPolicy {
  /** Wait after the first failed connection attempt; doubles with each further one. Default 500 ms. */
  initialDelayMs?: number;
  /** Upper bound of that wait. Default 30 s. */
  maxDelayMs?: number;
  /** Consecutive failures (failed starts, crashes) that open the breaker. Default 5. */
  breakerThreshold?: number;
  /** How long an open breaker withholds the server before one new attempt. Default 60 s. */
  breakerResetMs?: number;
}

export interface McpFabricOptions {
  logger?: Logger;
  /** Cap on one tool result while it is converted, in characters. Default 1 000 000. */
  maxResultChars?: number;
  /**
   * Cap on one message read from a stdio server, in bytes. A result over it
   * fails only its own call ("result larger than N bytes"); the session and
   * the other calls in flight carry on. Default 10 MiB.
   */
  maxMessageBytes?: number;
  restart?: RestartPolicy;
  /** Sent in `initialize`. Default `{ name: "aiproxy", version: "0.1.0" }`. */
  clientInfo?: { name: string; version: string };
}

export type McpServerState = "idle" | "connecting" | "ready" | "failed" | "breaker-open";

export interface McpServerStatus {
  name: string;
  transport: string;
  state: McpServerState;
  /** Tools in the last list fetched; 0 until one was. */
  toolCount: number;
  /** Tools of the last list left out because their definition is invalid, and why. */
  skippedTools?: Array<{ name: string; reason: string }>;
  /** The latest failure, kept after a recovery so an operator can see what happened. */
  lastError?: string;
  /** Connection attempts after the first. */
  restarts: number;
  /** The stdio child's pid while it runs. */
  pid?: number;
}

/** A tool as its server declares it. */
export interface McpToolDescriptor {
  name: string;
  description?: string;
  inputSchema: JsonSchema;
}

/** What one assistant sees of the fabric. Exposed names are `<server>__<tool>`, sanitized. */
export interface ToolsetOptions {
  servers: string[];
  /** Exposed names to offer; all when absent. */
  allowlist?: string[];
  /** Description overrides, keyed by exposed name. */
  descriptions?: Record<string, string>;
  /** Arguments forced on every call and hidden from the schema, keyed by exposed name. */
  pinnedArguments?: Record<string, Record<string, unknown>>;
  /** Clip each result's text to this many characters. */
  resultMaxChars?: number;
  /** `head` (default) cuts the tail; `balanced` keeps the beginning of every section and item. */
  resultClip?: "head" | "balanced";
}
