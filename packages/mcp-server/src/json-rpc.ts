import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";

/** JSON-RPC codes the transport layer answers with, besides the SDK's `ErrorCode`. */
export const SESSION_NOT_FOUND = -32001;
export { ErrorCode };

/** An HTTP answer carrying a JSON-RPC error (id null: it answers no particular request). */
export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
