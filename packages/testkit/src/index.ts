// --- scripted upstream LLM servers (OpenAI + Anthropic wire) ---

// Helpers for writing a responder; the demo model reads requests with the same ones.
export {
  lastUserText,
  type OfferedTool,
  offeredTools,
  type ToolResultView,
  trailingToolResults,
} from "@aiproxy/demo";
export { startScriptedUpstream } from "./upstream/server.js";
export type {
  RecordedRequest,
  Responder,
  ScriptedToolCall,
  ScriptedUpstream,
  ScriptedUpstreamOptions,
  Turn,
} from "./upstream/types.js";
// --- end scripted upstream ---

// --- mcp test servers ---
export { type McpTestServerName, mcpTestServerCommand } from "./mcp/servers/command.js";
export { createFaultServer } from "./mcp/servers/faults.js";

// --- end mcp test servers ---

// --- assertion helpers ---
export { failureOf, streamUntilFailure } from "./failures.js";
export { isAlive } from "./processes.js";
// --- a real redis-server per test ---
export { startRedis, type TestRedis } from "./redis-server.js";
// --- raw replay server, for recorded responses ---
export {
  type ReplayHandler,
  type ReplayRequest,
  type ReplayServer,
  type ReplayServerOptions,
  replayJson,
  replaySse,
  startReplayServer,
} from "./replay/server.js";
