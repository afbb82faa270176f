import { AiProxyError, type Logger } from "@aiproxy/core";
import { jsonRpcError } from "@aiproxy/mcp-server";

/** The paths the MCP endpoint answers, whose errors are JSON-RPC rather than OpenAI bodies. */
export function isMcpPath(path: string): boolean {
  return path === "/mcp" || path.startsWith("/mcp/") || path === "/sse" || path.startsWith("/sse/");
}

/**
 * An error the app raised on an MCP path (body over the limit, no such
 * route, anything unexpected) as a JSON-RPC error; a 5xx says no more.
 */
export function mcpErrorResponse(error: unknown, logger: Logger): Response {
  const status = AiProxyError.isInstance(error) ? error.status : 500;
  if (status >= 500) {
    logger.error(
      { err: error instanceof Error ? error.message : String(error) },
      "mcp endpoint error",
    );
    return jsonRpcError(status, -32603, "Internal error");
  }
  return jsonRpcError(status, -32600, (error as AiProxyError).message);
}
