export { apimanSchema } from "./apiman.js";
export { assistantSchema } from "./assistant.js";
export { BACKEND_KINDS, type BackendKind, backendSchema, DEFAULT_BASE_URLS } from "./backend.js";
export {
  type AdminConfig,
  type AdminInput,
  type AiProxyConfig,
  type ApiKeyGrant,
  type ApimanConfig,
  type ApimanInput,
  type AssistantConfig,
  type AssistantInput,
  type AssistantParams,
  type BackendConfig,
  type BackendInput,
  configSchema,
  type McpEndpointConfig,
  type McpRemoteServerConfig,
  type McpServerConfig,
  type McpServerInput,
  type McpStdioServerConfig,
  type ResponsesConfig,
  type ServerConfig,
  type ServerInput,
  type StateConfig,
  type TelemetryConfig,
} from "./config.js";
export { type Env, expandEnv } from "./env.js";
export { ConfigError, type ConfigErrorOptions, type ConfigIssue } from "./errors.js";
export { NAME_PATTERN } from "./fields.js";
export { toConfigIssue } from "./issues.js";
export { type LoadOptions, loadConfig, type ParseOptions, parseConfig } from "./load.js";
export { MCP_TRANSPORTS, type McpTransport, mcpServerSchema } from "./mcp-server.js";
export { redact, restoreRedacted } from "./redact.js";
export { validateReferences } from "./references.js";
export { adminSchema, serverSchema } from "./server.js";
export { parseSize } from "./size.js";
export { configWarnings, unknownEntryFields, unknownFields } from "./unknown.js";
