import type { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { InitializeRequestSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { SessionClient } from "./session-store.js";

/** A saved handshake larger than this (serialized) keeps only the version and the client's name. */
const MAX_CLIENT_BYTES = 8 * 1024;
const REPLAY_ID = "aiproxy-revive";
const HEADERS = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
};

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
 * Brings a fresh transport (whose `sessionIdGenerator` returns `id`) and the
 * server connected to it to where the original session stood after its
 * handshake: the client's `initialize` then `notifications/initialized`,
 * through the SDK's own request path, answers discarded. False if the SDK
 * refused either (a record that does not parse, a version it dropped).
 */
export async function replayHandshake(
  transport: WebStandardStreamableHTTPServerTransport,
  id: string,
  client: SessionClient,
  url: string,
): Promise<boolean> {
  const initialize = { jsonrpc: "2.0", id: REPLAY_ID, method: "initialize", params: client };
  if (!InitializeRequestSchema.safeParse(initialize).success) return false;
  const first = await transport.handleRequest(
    new Request(url, { method: "POST", headers: HEADERS }),
    {
      parsedBody: initialize,
    },
  );
  // Read to its end: the stream closes once the answer is written.
  const answer = await first.text();
  if (first.status !== 200 || transport.sessionId !== id || !answer.includes('"result"'))
    return false;
  const initialized = { jsonrpc: "2.0", method: "notifications/initialized" };
  const second = await transport.handleRequest(
    new Request(url, { method: "POST", headers: { ...HEADERS, "mcp-session-id": id } }),
    { parsedBody: initialized },
  );
  return second.status === 202;
}

/** A client's cancel as the SDK reads it, delivered to a session held here. */
export async function deliverCancel(
  transport: WebStandardStreamableHTTPServerTransport,
  id: string,
  url: string,
  requestId: string | number,
  reason: string | undefined,
): Promise<void> {
  const cancelled = {
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId, ...(reason !== undefined && { reason }) },
  };
  const response = await transport.handleRequest(
    new Request(url, { method: "POST", headers: { ...HEADERS, "mcp-session-id": id } }),
    { parsedBody: cancelled },
  );
  await response.body?.cancel();
}
