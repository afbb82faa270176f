export { createMcpFabric, type McpFabric } from "./fabric.js";
export type {
  McpFabricOptions,
  McpServerSpec,
  McpServerState,
  McpServerStatus,
  McpToolDescriptor,
  RestartPolicy,
  ToolsetOptions,
} from "./types.js";
