// The MCP floor: the least a Node gateway can do to put a stdio MCP server
// behind streamable HTTP with Hono on @hono/node-server. One SDK client over
// stdio; each POSTed JSON-RPC request is passed to it as is and its answer
// returned as JSON. No auth, sessions, validation, namespacing or streams:
// what HTTP and JSON cost before any gateway logic, for scenario 1e.
// Usage: node mcp-floor.mjs <command> [args...]
import { serve } from "@hono/node-server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { Hono } from "hono";

const [command, ...args] = process.argv.slice(2);
if (!command) throw new Error("usage: mcp-floor.mjs <command> [args...]");
const client = new Client({ name: "aiproxy-bench-floor", version: "0.0.0" });
await client.connect(new StdioClientTransport({ command, args, stderr: "ignore" }));
const SESSION = "floor";

const app = new Hono();
app.post("/mcp", async (c) => {
  const message = await c.req.json();
  if (message.id === undefined) return c.body(null, 202);
  if (message.method === "initialize")
    return c.json(
      {
        jsonrpc: "2.0",
        id: message.id,
        result: {
          protocolVersion: message.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "floor", version: "0.0.0" },
        },
      },
      200,
      { "mcp-session-id": SESSION },
    );
  const result = await client.request(
    { method: message.method, params: message.params },
    ResultSchema,
  );
  return c.json({ jsonrpc: "2.0", id: message.id, result });
});

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  process.stdout.write(
    `${JSON.stringify({ ready: true, url: `http://127.0.0.1:${info.port}` })}\n`,
  );
});
const stop = () => server.close(() => client.close().finally(() => process.exit(0)));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
