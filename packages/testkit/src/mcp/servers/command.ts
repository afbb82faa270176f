import { join } from "node:path";
import { builtScriptCommand, demoMcpServerCommand } from "@aiproxy/demo";

const SCRIPTS = { faults: "fault-server.js" } as const;

/** `demo` is the product's own demo server, from `@aiproxy/demo`; the rest live here. */
export type McpTestServerName = "demo" | keyof typeof SCRIPTS;

/**
 * How to spawn one of the testkit's stdio MCP servers: the current Node
 * running the built script in `dist/mcp/` (or `@aiproxy/demo`'s for `demo`).
 * Works whether the testkit is consumed from `dist` or from `src`, but needs
 * a build either way (`pnpm --filter @aiproxy/testkit... build`).
 */
export function mcpTestServerCommand(name: McpTestServerName): { command: string; args: string[] } {
  if (name === "demo") return demoMcpServerCommand();
  return builtScriptCommand("@aiproxy/testkit", import.meta.url, join("mcp", SCRIPTS[name]));
}
