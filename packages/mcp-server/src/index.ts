export { createMcpEndpoint, type McpEndpoint, type McpEndpointOptions } from "./endpoint.js";
export { jsonRpcError } from "./json-rpc.js";
export type { ServerInfo } from "./server.js";
export {
  MemorySessionStore,
  type SessionBroadcast,
  type SessionClient,
  type SessionRecord,
  type SessionStore,
} from "./session-store.js";
export type {
  McpRequestContext,
  McpSource,
  McpToolCallOptions,
  McpToolSource,
  Progress,
  PromptSource,
  ResourceSource,
} from "./types.js";
