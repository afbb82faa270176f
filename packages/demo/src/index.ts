// --- the demo model ---

// --- shared with the testkit ---
export { listenHttp } from "./listen.js";
// --- the demo MCP server ---
export { demoMcpServerCommand } from "./mcp/command.js";
export { createDemoServer } from "./mcp/server.js";
export {
  type ChatRequestView,
  lastUserText,
  type OfferedTool,
  offeredTools,
  type ToolResultView,
  trailingToolResults,
} from "./model/request-view.js";
export {
  type DemoResponder,
  type DemoToolCall,
  type DemoTurn,
  demoResponder,
} from "./model/responder.js";
export { type DemoModel, type DemoModelOptions, startDemoModel } from "./model/server.js";
export { builtScriptCommand } from "./script-command.js";
