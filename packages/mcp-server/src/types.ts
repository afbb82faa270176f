import type { ToolCallOptions, ToolInfo, ToolResult } from "@aiproxy/core";
import type {
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
} from "@modelcontextprotocol/sdk/types.js";

/** One `notifications/progress` of a call, as the tool behind reported it. */
export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

/** A Toolset call that can also report progress back to the MCP client. */
export interface McpToolCallOptions extends ToolCallOptions {
  onProgress?: (progress: Progress) => void;
}

/** What the endpoint serves as tools: any core `Toolset` fits. */
export interface McpToolSource {
  list(options?: ToolCallOptions): Promise<ToolInfo[]>;
  call(
    name: string,
    args: Record<string, unknown>,
    options?: McpToolCallOptions,
  ): Promise<ToolResult>;
}

export interface PromptSource {
  list(options: { signal?: AbortSignal }): Promise<Prompt[]>;
  /** Rejects with an `McpError` (InvalidParams) for a prompt the caller may not see. */
  get(
    name: string,
    args: Record<string, string>,
    options: { signal?: AbortSignal },
  ): Promise<GetPromptResult>;
}

export interface ResourceSource {
  list(options: { signal?: AbortSignal }): Promise<Resource[]>;
  templates(options: { signal?: AbortSignal }): Promise<ResourceTemplate[]>;
  /** Rejects with an `McpError` (InvalidParams) for a resource the caller may not see. */
  read(uri: string, options: { signal?: AbortSignal }): Promise<ReadResourceResult>;
}

/** Everything one MCP session serves. Looked up once per session. */
export interface McpSource {
  tools: McpToolSource;
  prompts?: PromptSource;
  resources?: ResourceSource;
  /**
   * Called with a listener that fires when what the source lists may have
   * changed; returns the unsubscribe. The endpoint re-lists and sends
   * `notifications/tools/list_changed` only if the list really differs.
   */
  onChange?: (listener: () => void) => () => void;
}

/** Who is asking and for what: bound to a session when it is created and checked on every request. */
export interface McpRequestContext {
  /** An opaque caller identity (e.g. a hash of the credentials); a session answers only its owner. */
  owner: string;
  /** What the session serves, e.g. `"*"` or an assistant name; a session is used only under its scope. */
  scope: string;
  /** Called only when a new session is created. */
  source: () => McpSource;
}
