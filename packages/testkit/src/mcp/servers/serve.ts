import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

export interface ServeStdioOptions {
  /**
   * Ignore stdin closing and SIGTERM, so only SIGKILL stops the process: a
   * stand-in for a badly behaved server, to test a client's shutdown.
   */
  stubborn?: boolean;
}

/** Serves `server` over this process's stdin/stdout until stdin closes. */
export async function serveStdio(
  server: McpServer,
  options: ServeStdioOptions = {},
): Promise<void> {
  const transport = new StdioServerTransport();
  if (options.stubborn) {
    process.on("SIGTERM", () => {});
    setInterval(() => {}, 60_000);
  } else {
    // The client closing our stdin is the MCP way to say "shut down".
    process.stdin.once("end", () => {
      void server.close().finally(() => process.exit(0));
    });
  }
  await server.connect(transport);
}
