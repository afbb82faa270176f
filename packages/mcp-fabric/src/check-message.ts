import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/**
 * A plain result: `jsonrpc`, an integer or string `id`, a `result` object
 * without `_meta`, nothing else. The SDK's schema for a result response is
 * a strict object whose `result` passes any other key, so everything this
 * accepts it accepts, unchanged; anything else goes to the schema.
 */
function isPlainResult(value: unknown): value is JSONRPCMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== "2.0") return false;
  const { id, result } = message;
  if (typeof id !== "string" && !Number.isSafeInteger(id)) return false;
  if (typeof result !== "object" || result === null || Array.isArray(result)) return false;
  return !Object.hasOwn(result, "_meta") && Object.keys(message).length === 3;
}

/**
 * A message read from a server, checked as JSON-RPC (throws if it is none).
 * A call's answer, most of what a server sends, is checked by shape: the
 * SDK's union schema tries up to four object schemas per message, and the
 * client checks the answer again against its request's result schema.
 */
export function checkMessage(value: unknown): JSONRPCMessage {
  return isPlainResult(value) ? value : JSONRPCMessageSchema.parse(value);
}
