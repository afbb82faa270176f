#!/usr/bin/env node
// Runnable: `node dist/mcp-server.js` (or the `aiproxy-demo-mcp` bin) serves the demo MCP server over stdio.
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createDemoServer } from "./mcp/server.js";

const server = createDemoServer();
// The client closing our stdin is the MCP way to say "shut down".
process.stdin.once("end", () => {
  void server.close().finally(() => process.exit(0));
});
await server.connect(new StdioServerTransport());
