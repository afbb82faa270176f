// Runnable: `node dist/mcp/demo-server.js` serves the demo MCP server over stdio.
import { createDemoServer } from "./servers/demo.js";
import { serveStdio } from "./servers/serve.js";

await serveStdio(createDemoServer());
