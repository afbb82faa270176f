import {
  InitializeRequestSchema,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { SessionClient } from "./session-store.js";
import type { StreamableHttpTransport } from "./streamable-transport.js";

/** A saved handshake larger than this (serialized) keeps only the version and the client's name. */
const MAX_CLIENT_BYTES = 8 * 1024;
const REPLAY_ID = "aiproxy-revive";
const ACCEPT = "application/json, text/event-stream";

/**
 * What to keep of an `initialize` request. A huge one is clipped: the
 * endpoint never asks the client anything (no sampling, roots or
 * elicitation), so its capabilities only need to parse.
 */
export function sessionClient(message: JSONRPCMessage): SessionClient | undefined {
  const parsed = InitializeRequestSchema.safeParse(message);
  if (!parsed.success) return undefined;
  const { protocolVersion, capabilities, clientInfo } = parsed.data.params;
  const client = { protocolVersion, capabilities, clientInfo } as SessionClient;
  if (JSON.stringify(client).length <= MAX_CLIENT_BYTES) return client;
  return {
    protocolVersion: protocolVersion.slice(0, 64),
    capabilities: {},
    clientInfo: { name: clientInfo.name.slice(0, 256), version: clientInfo.version.slice(0, 64) },
  };
}

/**
 * Brings a fresh transport and the server connected to it to where the
 * original session stood after its handshake: the client's `initialize`
 * then `notifications/initialized`, through the server's own request path,
 * answers discarded. False if the server refused it (a record that does not
 * parse, a version it dropped).
 */
export async function replayHandshake(
  transport: StreamableHttpTransport,
  client: SessionClient,
): Promise<boolean> {
  const initialize = { jsonrpc: "2.0", id: REPLAY_ID, method: "initialize", params: client };
  const message = JSONRPCMessageSchema.safeParse(initialize);
  if (!message.success || !InitializeRequestSchema.safeParse(initialize).success) return false;
  const answer = await transport.post([message.data], {
    accept: ACCEPT,
    protocolVersion: null,
  });
  if (answer.status !== 200 || !(await answer.text()).includes('"result"')) return false;
  transport.deliver([{ jsonrpc: "2.0", method: "notifications/initialized" }]);
  return true;
}

/** A client's cancel as the server reads it, delivered to a session held here. */
export function deliverCancel(
  transport: StreamableHttpTransport,
  requestId: string | number,
  reason: string | undefined,
): void {
  transport.deliver([
    {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId, ...(reason !== undefined && { reason }) },
    },
  ]);
}
