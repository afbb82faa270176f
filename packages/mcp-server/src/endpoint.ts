import { randomBytes } from "node:crypto";
import { type Logger, silentLogger } from "@aiproxy/core";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  isInitializeRequest,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { answerWithJson, mayAnswerWithJson } from "./json-answer.js";
import { ErrorCode, jsonRpcError, SESSION_NOT_FOUND } from "./json-rpc.js";
import { readBody } from "./read-body.js";
import { createSessionServer, type ServerInfo } from "./server.js";
import { MemorySessionStore, type SessionRecord, type SessionStore } from "./session-store.js";
import { SseServerTransport } from "./sse-transport.js";
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
  transport: WebStandardStreamableHTTPServerTransport | SseServerTransport;
  server: Server;
  /** Aborts every call of the session when it closes. */
  lifetime: AbortController;
  dispose: () => void;
  active: number;
}

type Message = { ok: true; messages: JSONRPCMessage[]; body: unknown };
type Parsed = Message | { ok: false; response: Response };

const SESSION_HEADER = "mcp-session-id";

function newSessionId(): string {
  return randomBytes(24).toString("base64url");
}

/**
 * Serves MCP sources over streamable HTTP (`handle`) and the legacy SSE
 * transport (`openSse` + `postSse`). Every session is bound to the owner and
 * scope that created it: the same id from anyone else is "not found".
 */
export class McpEndpoint {
  private readonly live = new Map<string, LiveSession>();
  private readonly store: SessionStore;
  private readonly logger: Logger;
  private readonly info: ServerInfo;
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly maxBytes: number;
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
    this.sweeper = setInterval(
      () => void this.sweep(),
      Math.max(1_000, Math.min(60_000, this.idleMs / 4)),
    );
    this.sweeper.unref();
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
    if (id !== null) {
      const session = await this.find(id, context, "streamable-http");
      if (!session) return jsonRpcError(404, SESSION_NOT_FOUND, "Session not found");
      const transport = session.transport as WebStandardStreamableHTTPServerTransport;
      return this.run(session, async () => {
        const response = await transport.handleRequest(
          request,
          parsed && { parsedBody: parsed.body },
        );
        return parsed && mayAnswerWithJson(request, parsed.messages)
          ? answerWithJson(response, request.signal)
          : response;
      });
    }
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
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
    });
    const session = await this.open(sessionId, "streamable-http", transport, context);
    const body = parsed.body;
    const response = await this.run(session, () =>
      transport.handleRequest(request, { parsedBody: body }),
    );
    // The SDK refused the initialize (bad version, wrong Accept...): the session never began.
    if (transport.sessionId === undefined) await this.end(sessionId);
    return response;
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
    const session = id === null ? undefined : await this.find(id, context, "sse");
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

  /** Closes every session; calls in flight are aborted. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await Promise.all([...this.live.keys()].map((id) => this.end(id)));
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
      const checked = JSONRPCMessageSchema.safeParse(item);
      if (!checked.success || list.length === 0)
        return {
          ok: false,
          response: jsonRpcError(400, ErrorCode.InvalidRequest, "Invalid Request"),
        };
      messages.push(checked.data);
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

  private async find(
    id: string,
    context: McpRequestContext,
    transport: SessionRecord["transport"],
  ): Promise<LiveSession | undefined> {
    const session = this.live.get(id);
    const record = await this.store.get(id);
    // Another owner's id answers exactly like an unknown one: the id is no credential.
    if (!session || !record || record.owner !== context.owner || record.scope !== context.scope)
      return undefined;
    if (record.transport !== transport) return undefined;
    return session;
  }

  private async open(
    id: string,
    kind: SessionRecord["transport"],
    transport: LiveSession["transport"],
    context: McpRequestContext,
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
      };
      const lifetime = new AbortController();
      const { server, dispose } = createSessionServer(
        context.source(),
        this.info,
        this.logger,
        lifetime.signal,
      );
      const session: LiveSession = { record, transport, server, lifetime, dispose, active: 0 };
      await this.store.create(record);
      this.live.set(id, session);
      transport.onclose = () => void this.end(id);
      await server.connect(transport);
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
      await this.store.touch(session.record.id, Date.now());
      return await handle();
    } finally {
      session.active--;
    }
  }

  private async end(id: string): Promise<void> {
    const session = this.live.get(id);
    if (!session) return;
    this.live.delete(id);
    session.lifetime.abort();
    session.dispose();
    await this.store.delete(id).catch(() => {});
    await session.server.close().catch(() => {});
    this.logger.debug({ session: id.slice(0, 8) }, "mcp session closed");
  }

  private async sweep(): Promise<void> {
    try {
      const idle = await this.store.idleSince(Date.now() - this.idleMs);
      for (const id of idle) {
        const session = this.live.get(id);
        // A legacy SSE session lives as long as its stream; a busy one is not idle.
        if (!session) await this.store.delete(id);
        else if (session.record.transport === "streamable-http" && session.active === 0)
          await this.end(id);
      }
    } catch (error) {
      this.logger.warn({ err: String(error) }, "mcp endpoint: expiring sessions failed");
    }
  }
}

export function createMcpEndpoint(options?: McpEndpointOptions): McpEndpoint {
  return new McpEndpoint(options);
}
