export type { CallToolOptions } from "./connection.js";
export { createMcpFabric, type McpFabric } from "./fabric.js";
export type {
  McpFabricOptions,
  McpPrompt,
  McpPromptResult,
  McpResource,
  McpResourceContents,
  McpResourceTemplate,
  McpServerSpec,
  McpServerState,
  McpServerStatus,
  McpToolDescriptor,
  RestartPolicy,
  ToolsetOptions,
} from "./types.js";
