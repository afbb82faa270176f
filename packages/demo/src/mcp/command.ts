import { builtScriptCommand } from "../script-command.js";

/**
 * How to spawn the demo MCP server over stdio: the current Node running the
 * built `dist/mcp-server.js`. Works whether the package is consumed from
 * `dist` or from `src`, but needs a build either way.
 */
export function demoMcpServerCommand(): { command: string; args: string[] } {
  return builtScriptCommand("@aiproxy/demo", import.meta.url, "mcp-server.js");
}
