import { randomBytes } from "node:crypto";
import { type Logger, silentLogger } from "@aiproxy/core";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { isInitializeRequest, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { checkMessage } from "./check-message.js";
import { deliverCancel, replayHandshake, sessionClient } from "./handshake.js";
import { ErrorCode, jsonRpcError, SESSION_NOT_FOUND } from "./json-rpc.js";
import { readBody } from "./read-body.js";
import { createSessionServer, type ServerInfo } from "./server.js";
import {
  MemorySessionStore,
  type SessionBroadcast,
  type SessionRecord,
  type SessionStore,
} from "./session-store.js";
import { SseServerTransport } from "./sse-transport.js";
import { type PostOptions, StreamableHttpTransport } from "./streamable-transport.js";
import type { McpRequestContext } from "./types.js";

export interface McpEndpointOptions {
  /** Sent in `initialize`. */
  serverInfo?: ServerInfo;
  /** Where session records live; default in memory. */
  sessions?: SessionStore;
  /** A session not used for this long is closed. Default 30 min. */
  idleTimeoutMs?: number;
  /** Open sessions at most; one more is refused with 503. Default 1000. */
  maxSessions?: number;
  /** The largest POSTed message, in bytes; a larger one is refused with 413. Default 4 MiB. */
  maxMessageBytes?: number;
  logger?: Logger;
}

interface LiveSession {
  record: SessionRecord;
  transport: StreamableHttpTransport | SseServerTransport;
  server: Server;
  /** Aborts every call of the session when it closes. */
  lifetime: AbortController;
  dispose: () => void;
  active: number;
  /** When this process last wrote the session's last use to the store. */
  touchedAt: number;
}

type Message = { ok: true; messages: JSONRPCMessage[]; body: unknown };
type Parsed = Message | { ok: false; response: Response };

const SESSION_HEADER = "mcp-session-id";
const PROTOCOL_HEADER = "mcp-protocol-version";

function postOptions(request: Request): PostOptions {
  return {
    accept: request.headers.get("accept"),
    protocolVersion: request.headers.get(PROTOCOL_HEADER),
    signal: request.signal,
  };
}

function newSessionId(): string {
  return randomBytes(24).toString("base64url");
}

/**
 * Serves MCP sources over streamable HTTP (`handle`) and the legacy SSE
 * transport (`openSse` + `postSse`). Every session is bound to the owner and
 * scope that created it: the same id from anyone else is "not found".
 *
 * With a store shared by several processes, any of them serves any
 * streamable HTTP session: one that does not hold it revives it from its
 * record (a new transport and server, the client's handshake replayed), a
 * DELETE anywhere ends it everywhere, and idle expiry follows the shared
 * last use. A legacy SSE session stays in the process holding its stream
 * (the stream is the session), so `/sse` still needs affinity.
 */
export class McpEndpoint {
  private readonly live = new Map<string, LiveSession>();
  /** One revival per id at a time: concurrent first requests share it. */
  private readonly reviving = new Map<string, Promise<LiveSession | undefined>>();
  /** Tells this process's own broadcasts from others'. */
  private readonly self = randomBytes(8).toString("base64url");
  private readonly unsubscribe: (() => void) | undefined;
  private readonly store: SessionStore;
  private readonly logger: Logger;
  private readonly info: ServerInfo;
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly maxBytes: number;
  private readonly touchEveryMs: number;
  private readonly sweeper: NodeJS.Timeout;
  /** Sessions being created, counted against the cap before their record exists. */
  private pending = 0;
  private closed = false;
  private draining = false;

  constructor(options: McpEndpointOptions = {}) {
    this.store = options.sessions ?? new MemorySessionStore();
    this.logger = options.logger ?? silentLogger;
    this.info = options.serverInfo ?? { name: "aiproxy", version: "0.1.0" };
    this.idleMs = options.idleTimeoutMs ?? 30 * 60_000;
    this.maxSessions = options.maxSessions ?? 1000;
    this.maxBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
    this.touchEveryMs = Math.min(1_000, this.idleMs / 100);
    this.sweeper = setInterval(
      () => void this.sweep(),
      Math.max(1_000, Math.min(60_000, this.idleMs / 4)),
    );
    this.sweeper.unref();
    this.unsubscribe = this.store.subscribe?.((message) => void this.received(message));
  }

  /** Open sessions in this process. */
  get size(): number {
    return this.live.size;
  }

  /** Streamable HTTP: POST (messages), GET (the server's stream), DELETE (end the session). */
  async handle(request: Request, context: McpRequestContext): Promise<Response> {
    if (this.closed) return jsonRpcError(503, ErrorCode.ConnectionClosed, "Shutting down");
    const id = request.headers.get(SESSION_HEADER);
    let parsed: Message | undefined;
    if (request.method === "POST") {
      const result = await this.parse(request);
      if (!result.ok) return result.response;
      parsed = result;
    } else if (request.method !== "GET" && request.method !== "DELETE") {
      return jsonRpcError(405, ErrorCode.ConnectionClosed, "Method not allowed", {
        allow: "GET, POST, DELETE",
      });
    }
    if (id !== null) return this.serve(id, request, parsed, context);
    // A request, with an id: an initialize sent as a notification opens nothing.
    if (!parsed?.messages.some((m) => isInitializeRequest(m) && "id" in m))
      return jsonRpcError(
        400,
        ErrorCode.InvalidRequest,
        "Bad Request: Mcp-Session-Id header is required",
      );
    if (parsed.messages.length > 1)
      return jsonRpcError(
        400,
        ErrorCode.InvalidRequest,
        "Bad Request: initialize must be sent alone",
      );
    const full = await this.full();
    if (full) return full;
    const sessionId = newSessionId();
    const transport = new StreamableHttpTransport(sessionId);
    const client = sessionClient(parsed.messages[0] as JSONRPCMessage);
    const session = await this.open(sessionId, "streamable-http", transport, context, client);
    const messages = parsed.messages;
    const response = await this.run(session, async () =>
      transport.post(messages, postOptions(request)),
    );
    // The initialize was refused (wrong Accept...): the session never began.
    if (response.status !== 200) await this.end(sessionId);
    return response;
  }

  /** A request on an existing session: held here, revived here, or ended without a copy. */
  private async serve(
    id: string,
    request: Request,
    parsed: Message | undefined,
    context: McpRequestContext,
  ): Promise<Response> {
    const record = await this.owned(id, context, "streamable-http");
    if (!record) return jsonRpcError(404, SESSION_NOT_FOUND, "Session not found");
    // Ending a session held elsewhere needs no copy of it here.
    if (request.method === "DELETE" && !this.live.has(id) && !this.reviving.has(id)) {
      await this.store.delete(id);
      await this.broadcast({ type: "ended", session: id, from: this.self });
      return new Response(null, { status: 200 });
    }
    const session = this.live.get(id) ?? (await this.revive(record, context));
    if (!session) return jsonRpcError(404, SESSION_NOT_FOUND, "Session not found");
    if (parsed) this.forwardCancels(id, parsed.messages);
    const transport = session.transport as StreamableHttpTransport;
    return this.run(session, async () => {
      if (parsed) return transport.post(parsed.messages, postOptions(request));
      const version = request.headers.get(PROTOCOL_HEADER);
      return request.method === "GET"
        ? transport.openStream(request.headers.get("accept"), version)
        : transport.terminate(version);
    });
  }

  /** Legacy SSE: opens the event stream; `messageUrl(id)` is where the client POSTs. */
  async openSse(
    request: Request,
    context: McpRequestContext & { messageUrl: (sessionId: string) => string },
  ): Promise<Response> {
    if (this.closed) return jsonRpcError(503, ErrorCode.ConnectionClosed, "Shutting down");
    const full = await this.full();
    if (full) return full;
    const sessionId = newSessionId();
    const transport = new SseServerTransport(
      sessionId,
      context.messageUrl(sessionId),
      request.signal,
    );
    await this.open(sessionId, "sse", transport, context);
    return transport.response;
  }

  /** Legacy SSE: one POSTed message (or batch) for the session named by `?sessionId=`. */
  async postSse(request: Request, context: McpRequestContext): Promise<Response> {
    const id = new URL(request.url).searchParams.get("sessionId");
    const parsed = await this.parse(request);
    if (!parsed.ok) return parsed.response;
    const record = id === null ? undefined : await this.owned(id, context, "sse");
    const session = record && this.live.get(record.id);
    if (!session) return jsonRpcError(404, SESSION_NOT_FOUND, "Session not found");
    (session.transport as SseServerTransport).receive(parsed.messages);
    return new Response("Accepted", { status: 202 });
  }

  /**
   * Shutting down: no new sessions, legacy SSE sessions end, and every
   * standalone GET stream is closed so the HTTP server can finish; requests
   * in flight on existing sessions are still answered.
   */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const [id, session] of this.live) {
      if (session.transport instanceof SseServerTransport) void this.end(id);
      else session.transport.closeStandaloneSSEStream();
    }
  }

  /**
   * Closes every session here; calls in flight are aborted. A streamable
   * HTTP session's record stays: another process sharing the store serves
   * it on, and the idle sweep removes it otherwise.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.unsubscribe?.();
    await Promise.all(
      [...this.live].map(([id, session]) => this.end(id, session.record.transport === "sse")),
    );
  }

  private async parse(request: Request): Promise<Parsed> {
    const text = await readBody(request, this.maxBytes);
    if (text === undefined)
      return {
        ok: false,
        response: jsonRpcError(
          413,
          ErrorCode.InvalidRequest,
          `Message larger than ${this.maxBytes} bytes`,
        ),
      };
    // Checked once the body is read: a connection left with unread bytes is cut by the server.
    const type = request.headers.get("content-type") ?? "";
    if (!type.toLowerCase().includes("application/json"))
      return {
        ok: false,
        response: jsonRpcError(
          415,
          ErrorCode.InvalidRequest,
          "Content-Type must be application/json",
        ),
      };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, response: jsonRpcError(400, ErrorCode.ParseError, "Parse error") };
    }
    const list = Array.isArray(body) ? body : [body];
    const messages: JSONRPCMessage[] = [];
    for (const item of list) {
      const message = checkMessage(item);
      if (message === undefined)
        return {
          ok: false,
          response: jsonRpcError(400, ErrorCode.InvalidRequest, "Invalid Request"),
        };
      messages.push(message);
    }
    if (messages.length === 0)
      return {
        ok: false,
        response: jsonRpcError(400, ErrorCode.InvalidRequest, "Invalid Request"),
      };
    return { ok: true, messages, body };
  }

  private async full(): Promise<Response | undefined> {
    if (this.draining)
      return jsonRpcError(503, ErrorCode.ConnectionClosed, "Shutting down", { "retry-after": "5" });
    if ((await this.store.count()) + this.pending < this.maxSessions) return undefined;
    this.logger.warn({ maxSessions: this.maxSessions }, "mcp endpoint: session cap reached");
    return jsonRpcError(
      503,
      ErrorCode.InternalError,
      "Too many open MCP sessions; try again later",
      {
        "retry-after": "5",
      },
    );
  }

  /**
   * The session's record if `context` may use it. A copy held here whose
   * record is gone was ended by another process (DELETE, idle): closed now.
   */
  private async owned(
    id: string,
    context: McpRequestContext,
    transport: SessionRecord["transport"],
  ): Promise<SessionRecord | undefined> {
    let record: SessionRecord | undefined;
    try {
      record = await this.store.get(id);
    } catch (error) {
      // The store away: a session held here goes on as it was (no other process can serve it meanwhile).
      const session = this.live.get(id);
      if (!session) throw error;
      this.logger.debug({ err: String(error) }, "mcp endpoint: session store unavailable");
      record = session.record;
    }
    if (!record) {
      if (this.live.has(id)) await this.end(id, false);
      return undefined;
    }
    // Another owner's id answers exactly like an unknown one: the id is no credential.
    if (record.owner !== context.owner || record.scope !== context.scope) return undefined;
    return record.transport === transport ? record : undefined;
  }

  /** A streamable HTTP session opened elsewhere, served here from its record. */
  private revive(
    record: SessionRecord,
    context: McpRequestContext,
  ): Promise<LiveSession | undefined> {
    const { id, client } = record;
    if (!client || this.closed) return Promise.resolve(undefined);
    let reviving = this.reviving.get(id);
    if (!reviving) {
      reviving = this.replay(record, client, context).finally(() => this.reviving.delete(id));
      this.reviving.set(id, reviving);
    }
    return reviving;
  }

  private async replay(
    record: SessionRecord,
    client: NonNullable<SessionRecord["client"]>,
    context: McpRequestContext,
  ): Promise<LiveSession | undefined> {
    const { id } = record;
    const transport = new StreamableHttpTransport(id);
    const session = this.attach(record, transport, context, true);
    try {
      await session.server.connect(transport);
      if (await replayHandshake(transport, client)) {
        this.live.set(id, session);
        this.logger.debug({ session: id.slice(0, 8), scope: record.scope }, "mcp session revived");
        return session;
      }
      this.logger.warn(
        { session: id.slice(0, 8) },
        "mcp endpoint: a session's handshake was refused on revival",
      );
    } catch (error) {
      this.logger.warn(
        { session: id.slice(0, 8), err: String(error) },
        "mcp endpoint: reviving a session failed",
      );
    }
    session.lifetime.abort();
    session.dispose();
    await session.server.close().catch(() => {});
    return undefined;
  }

  /** A session's server over `transport`, not yet connected. */
  private attach(
    record: SessionRecord,
    transport: LiveSession["transport"],
    context: McpRequestContext,
    revived: boolean,
  ): LiveSession {
    const lifetime = new AbortController();
    const { server, dispose } = createSessionServer(
      context.source(),
      this.info,
      this.logger,
      lifetime.signal,
      { revived },
    );
    const session: LiveSession = {
      record,
      transport,
      server,
      lifetime,
      dispose,
      active: 0,
      touchedAt: Number.NEGATIVE_INFINITY,
    };
    // Only the live copy ends the session: a revival that failed closes a transport nobody knows.
    transport.onclose = () => {
      if (this.live.get(record.id) === session) void this.end(record.id);
    };
    return session;
  }

  private async open(
    id: string,
    kind: SessionRecord["transport"],
    transport: LiveSession["transport"],
    context: McpRequestContext,
    client?: SessionRecord["client"],
  ): Promise<LiveSession> {
    this.pending++;
    try {
      const now = Date.now();
      const record: SessionRecord = {
        id,
        owner: context.owner,
        scope: context.scope,
        transport: kind,
        createdAt: now,
        lastSeenAt: now,
        ...(client && { client }),
      };
      const session = this.attach(record, transport, context, false);
      await this.store.create(record);
      this.live.set(id, session);
      await session.server.connect(transport);
      this.logger.debug(
        { session: id.slice(0, 8), scope: context.scope, kind },
        "mcp session opened",
      );
      return session;
    } finally {
      this.pending--;
    }
  }

  private async run(session: LiveSession, handle: () => Promise<Response>): Promise<Response> {
    session.active++;
    try {
      const now = Date.now();
      // Idle expiry is coarse: a session touched a moment ago need not be touched on every request.
      if (now - session.touchedAt >= this.touchEveryMs) {
        session.touchedAt = now;
        await this.store.touch(session.record.id, now).catch((error: unknown) => {
          this.logger.debug({ err: String(error) }, "mcp endpoint: touching a session failed");
        });
      }
      return await handle();
    } finally {
      session.active--;
    }
  }

  /** Ends the session here; `forget` removes its record too, ending it everywhere. */
  private async end(id: string, forget = true): Promise<void> {
    const session = this.live.get(id);
    if (!session) return;
    this.live.delete(id);
    session.lifetime.abort();
    session.dispose();
    if (forget) {
      await this.store.delete(id).catch(() => {});
      // Copies elsewhere would find the record gone on their next use; told, they close now.
      if (session.record.transport === "streamable-http")
        await this.broadcast({ type: "ended", session: id, from: this.self });
    }
    await session.server.close().catch(() => {});
    this.logger.debug({ session: id.slice(0, 8) }, "mcp session closed");
  }

  private async sweep(): Promise<void> {
    try {
      const now = Date.now();
      const here = [...this.live];
      await Promise.all(
        here.map(async ([id, session]) => {
          // A legacy SSE session lives as long as its stream, a busy one is in use: both are seen now.
          if (session.record.transport === "sse" || session.active > 0)
            await this.store.touch(id, now);
          // A copy whose record is gone was ended by another process.
          else if (!(await this.store.get(id))) await this.end(id, false);
        }),
      );
      const idle = await this.store.idleSince(now - this.idleMs);
      for (const id of idle) {
        const session = this.live.get(id);
        if (!session) await this.store.delete(id);
        else if (session.record.transport === "streamable-http" && session.active === 0)
          await this.end(id);
      }
    } catch (error) {
      this.logger.warn({ err: String(error) }, "mcp endpoint: expiring sessions failed");
    }
  }

  /**
   * A client's `notifications/cancelled` may name a call running in another
   * process (its requests alternate between them): every process is told,
   * and the one running it aborts it.
   */
  private forwardCancels(id: string, messages: JSONRPCMessage[]): void {
    if (!this.store.publish) return;
    for (const message of messages) {
      if (!("method" in message) || message.method !== "notifications/cancelled" || "id" in message)
        continue;
      const params = message.params as { requestId?: unknown; reason?: unknown } | undefined;
      const requestId = params?.requestId;
      if (typeof requestId !== "string" && typeof requestId !== "number") continue;
      void this.broadcast({
        type: "cancelled",
        session: id,
        from: this.self,
        requestId,
        ...(typeof params?.reason === "string" && { reason: params.reason.slice(0, 256) }),
      });
    }
  }

  private async broadcast(message: SessionBroadcast): Promise<void> {
    await this.store.publish?.(message).catch((error: unknown) => {
      this.logger.warn({ err: String(error) }, "mcp endpoint: telling other processes failed");
    });
  }

  private async received(message: SessionBroadcast): Promise<void> {
    if (message.from === this.self) return;
    const session = this.live.get(message.session);
    if (session?.record.transport !== "streamable-http") return;
    if (message.type === "ended") return this.end(message.session, false);
    deliverCancel(session.transport as StreamableHttpTransport, message.requestId, message.reason);
  }
}

export function createMcpEndpoint(options?: McpEndpointOptions): McpEndpoint {
  return new McpEndpoint(options);
}
