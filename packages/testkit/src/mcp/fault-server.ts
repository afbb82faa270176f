// Runnable: `node dist/mcp/fault-server.js` serves the fault-injection MCP server over stdio.
// FAULT_LOG=<file> records what the server saw; FAULT_STUBBORN=1 ignores stdin close and SIGTERM.
import { createFaultServer } from "./servers/faults.js";
import { serveStdio } from "./servers/serve.js";

await serveStdio(createFaultServer(), { stubborn: process.env.FAULT_STUBBORN === "1" });
