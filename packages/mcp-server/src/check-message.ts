import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/**
 * A plain request or notification: `jsonrpc`, `method`, an integer or
 * string `id` if any, `params` an object without `_meta`, nothing else. The
 * SDK's schemas for both are strict objects whose `params` pass any other
 * key, so everything this accepts they accept, unchanged; anything else
 * (a `_meta` to check, a response, a malformed message) goes to them.
 */
function isPlainCall(value: unknown): value is JSONRPCMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== "2.0" || typeof message.method !== "string") return false;
  let keys = 2;
  if (Object.hasOwn(message, "id")) {
    const id = message.id;
    if (typeof id !== "string" && !Number.isSafeInteger(id)) return false;
    keys++;
  }
  if (Object.hasOwn(message, "params")) {
    const params = message.params;
    if (typeof params !== "object" || params === null || Array.isArray(params)) return false;
    if (Object.hasOwn(params, "_meta")) return false;
    keys++;
  }
  return Object.keys(message).length === keys;
}

/**
 * One POSTed item as a JSON-RPC message, or `undefined` if it is none. A
 * tool call is checked by shape: the SDK's union schema costs a parse of up
 * to four object schemas per message, and the session's `Server` parses the
 * request against its method's schema again anyway.
 */
export function checkMessage(value: unknown): JSONRPCMessage | undefined {
  if (isPlainCall(value)) return value;
  const checked = JSONRPCMessageSchema.safeParse(value);
  return checked.success ? checked.data : undefined;
}
