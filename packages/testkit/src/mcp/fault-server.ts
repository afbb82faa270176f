// Runnable: `node dist/mcp/fault-server.js` serves the fault-injection MCP server over stdio.
// FAULT_LOG=<file> records what the server saw; FAULT_STUBBORN=1 ignores stdin close and SIGTERM;
// FAULT_INVALID_TOOL=1 lists a tool without inputSchema; FAULT_CATALOG=<n> adds n generated
// business tools; SIGUSR2 releases every `hold`.
import { createFaultServerWithControls } from "./servers/faults.js";
import { serveStdio } from "./servers/serve.js";

const { server, controls } = createFaultServerWithControls({
  invalidTool: process.env.FAULT_INVALID_TOOL === "1",
  catalog: Number(process.env.FAULT_CATALOG) || 0,
});
// A way to release holds from outside the session, e.g. when the session itself is being replaced.
process.on("SIGUSR2", () => controls.releaseAll());
await serveStdio(server, { stubborn: process.env.FAULT_STUBBORN === "1" });
