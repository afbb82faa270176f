import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import { EVENT_STREAM_HEADERS, EventStream } from "./event-stream.js";
import { ErrorCode, jsonRpcError, SESSION_NOT_FOUND } from "./json-rpc.js";

/** What a POST says besides its messages. */
export interface PostOptions {
  /** The request's `Accept` header. */
  accept: string | null;
  /** The request's `MCP-Protocol-Version` header. */
  protocolVersion: string | null;
  /** Aborts when the client goes away: its unanswered requests are then cancelled. */
  signal?: AbortSignal;
}

/** The streamable HTTP spec allows at most this many messages in one POST's batch (as the SDK's transport). */
const MAX_BATCH = 100;
const STANDALONE_KEEP_ALIVE_MS = 15_000;

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return "id" in message && ("result" in message || "error" in message);
}

/*
 * The messages reaching the transport were validated as JSON-RPC by the
 * endpoint, so these tell them apart by shape; the SDK's `isJSONRPCRequest`
 * and `isInitializeRequest` are a schema parse per message.
 */
function isRequest(message: JSONRPCMessage): message is JSONRPCRequest {
  return "method" in message && "id" in message;
}

function isInitialize(message: JSONRPCMessage): boolean {
  return isRequest(message) && message.method === "initialize";
}

function asksForProgress(message: JSONRPCMessage): boolean {
  const params = (message as { params?: { _meta?: { progressToken?: unknown } } }).params;
  return params?._meta?.progressToken !== undefined;
}

/**
 * One POST's requests and where their answers go. While nothing but answers
 * has come they are held, and the POST is answered with one JSON body once
 * all are in; anything else for the client first (progress, a server
 * request tied to the call) turns the answer into an event stream, with what
 * was held in front. A POST that asked for progress streams from the start.
 */
class Exchange {
  readonly response: Promise<Response>;
  private readonly waiting: Set<RequestId>;
  private readonly held: JSONRPCMessage[] = [];
  private stream: EventStream | undefined;
  private resolve!: (response: Response) => void;

  constructor(
    ids: RequestId[],
    private readonly headers: Record<string, string>,
    streamNow: boolean,
    private readonly onClientGone: (unanswered: RequestId[]) => void,
  ) {
    this.waiting = new Set(ids);
    this.response = new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (streamNow) this.openStream();
  }

  get ids(): RequestId[] {
    return [...this.waiting];
  }

  /** A message for the client; `answers` names the request it answers. True once all are answered. */
  push(message: JSONRPCMessage, answers?: RequestId): boolean {
    if (answers !== undefined) this.waiting.delete(answers);
    const complete = this.waiting.size === 0;
    if (!this.stream && answers === undefined) this.openStream();
    if (this.stream) {
      this.stream.message(message);
      if (complete) this.stream.close();
    } else {
      this.held.push(message);
      if (complete) this.answerWithJson();
    }
    return complete;
  }

  /** The session closed before every request was answered. */
  abandon(): void {
    if (this.stream) this.stream.close();
    else
      this.resolve(
        jsonRpcError(404, SESSION_NOT_FOUND, "Session closed before the request was answered"),
      );
  }

  private answerWithJson(): void {
    const body = JSON.stringify(this.held.length === 1 ? this.held[0] : this.held);
    this.resolve(
      new Response(body, {
        status: 200,
        headers: { ...this.headers, "content-type": "application/json" },
      }),
    );
  }

  private openStream(): void {
    const stream = new EventStream(() => this.onClientGone(this.ids));
    for (const message of this.held.splice(0)) stream.message(message);
    this.stream = stream;
    this.resolve(
      new Response(stream.body, {
        status: 200,
        headers: { ...this.headers, ...EVENT_STREAM_HEADERS },
      }),
    );
  }
}

/**
 * The server side of streamable HTTP for one session, on web-standard
 * Request and Response, under the SDK's `Server`. The endpoint has parsed
 * the body and checked who may use the session; this answers the rest of
 * the transport's rules (Accept, protocol version, initialization, one GET
 * stream) and routes each message the server sends to the POST it belongs
 * to. Unlike the SDK's transport it answers a POST of plain requests with
 * JSON without a stream in between, refuses a request id already in flight
 * (whose answer would otherwise go to the wrong POST), cancels the calls of
 * a client that went away, and fails the requests a closing session leaves.
 */
export class StreamableHttpTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly inFlight = new Map<RequestId, Exchange>();
  private standalone: EventStream | undefined;
  private initialized = false;
  private closed = false;

  constructor(readonly sessionId: string) {}

  async start(): Promise<void> {}

  /** A POST's messages, already parsed and checked as JSON-RPC. */
  post(messages: JSONRPCMessage[], options: PostOptions): Promise<Response> | Response {
    if (this.closed) return jsonRpcError(404, SESSION_NOT_FOUND, "Session not found");
    const accept = options.accept ?? "";
    if (!accept.includes("application/json") || !accept.includes("text/event-stream"))
      return jsonRpcError(
        406,
        ErrorCode.ConnectionClosed,
        "Not Acceptable: Client must accept both application/json and text/event-stream",
      );
    if (messages.length > MAX_BATCH)
      return jsonRpcError(
        400,
        ErrorCode.InvalidRequest,
        `Invalid Request: Batch must not exceed ${MAX_BATCH} messages`,
      );
    const initializing = messages.some(isInitialize);
    if (initializing) {
      if (this.initialized || messages.length > 1)
        return jsonRpcError(
          400,
          ErrorCode.InvalidRequest,
          this.initialized
            ? "Invalid Request: Server already initialized"
            : "Invalid Request: Only one initialization request is allowed",
        );
      this.initialized = true;
    } else {
      const refused = this.refuse(options.protocolVersion);
      if (refused) return refused;
    }
    const ids = messages.filter(isRequest).map((m) => m.id);
    if (ids.length === 0) {
      this.deliver(messages);
      return new Response(null, { status: 202 });
    }
    const taken = ids.find((id, i) => this.inFlight.has(id) || ids.indexOf(id) !== i);
    if (taken !== undefined)
      return jsonRpcError(
        409,
        ErrorCode.InvalidRequest,
        `Invalid Request: request id ${JSON.stringify(taken).slice(0, 64)} is already in flight in this session`,
      );
    const exchange = new Exchange(
      ids,
      { "mcp-session-id": this.sessionId },
      messages.some(asksForProgress),
      (unanswered) => this.clientGone(exchange, unanswered),
    );
    for (const id of ids) this.inFlight.set(id, exchange);
    const { signal } = options;
    if (signal) {
      const gone = () => this.clientGone(exchange, exchange.ids);
      signal.addEventListener("abort", gone, { once: true });
      void exchange.response.then(() => signal.removeEventListener("abort", gone));
    }
    this.deliver(messages);
    return exchange.response;
  }

  /** GET: the stream of messages that belong to no request (e.g. `list_changed`). */
  openStream(accept: string | null, protocolVersion: string | null): Response {
    if (this.closed) return jsonRpcError(404, SESSION_NOT_FOUND, "Session not found");
    if (!accept?.includes("text/event-stream"))
      return jsonRpcError(
        406,
        ErrorCode.ConnectionClosed,
        "Not Acceptable: Client must accept text/event-stream",
      );
    const refused = this.refuse(protocolVersion);
    if (refused) return refused;
    if (this.standalone && !this.standalone.closed)
      return jsonRpcError(
        409,
        ErrorCode.ConnectionClosed,
        "Conflict: Only one SSE stream is allowed per session",
      );
    const stream = new EventStream(
      () => {
        if (this.standalone === stream) this.standalone = undefined;
      },
      { keepAliveMs: STANDALONE_KEEP_ALIVE_MS },
    );
    this.standalone = stream;
    return new Response(stream.body, {
      status: 200,
      headers: { ...EVENT_STREAM_HEADERS, "mcp-session-id": this.sessionId },
    });
  }

  /** DELETE: the client ends the session. */
  async terminate(protocolVersion: string | null): Promise<Response> {
    const refused = this.refuse(protocolVersion);
    if (refused) return refused;
    await this.close();
    return new Response(null, { status: 200 });
  }

  /** Messages for the server that need no HTTP answer (a replayed handshake's end, a forwarded cancel). */
  deliver(messages: JSONRPCMessage[]): void {
    for (const message of messages) this.onmessage?.(message);
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) return;
    const answers = isResponse(message) ? message.id : undefined;
    const related = answers ?? options?.relatedRequestId;
    if (related === undefined) {
      // Nobody listening: a message for no request is dropped, as a list_changed would be with no GET open.
      this.standalone?.message(message);
      return;
    }
    const exchange = this.inFlight.get(related);
    // The POST it belonged to is gone (the client left): nothing can carry it.
    if (!exchange) return;
    if (answers !== undefined) this.inFlight.delete(answers);
    exchange.push(message, answers);
  }

  closeStandaloneSSEStream(): void {
    this.standalone?.close();
    this.standalone = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closeStandaloneSSEStream();
    const exchanges = new Set(this.inFlight.values());
    this.inFlight.clear();
    for (const exchange of exchanges) exchange.abandon();
    this.onclose?.();
  }

  private refuse(protocolVersion: string | null): Response | undefined {
    if (!this.initialized)
      return jsonRpcError(400, ErrorCode.ConnectionClosed, "Bad Request: Server not initialized");
    if (protocolVersion !== null && !SUPPORTED_PROTOCOL_VERSIONS.includes(protocolVersion))
      return jsonRpcError(
        400,
        ErrorCode.ConnectionClosed,
        `Bad Request: Unsupported protocol version: ${protocolVersion.slice(0, 64)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`,
      );
    return undefined;
  }

  /** The client stopped reading before its requests were answered: the calls behind them stop too. */
  private clientGone(exchange: Exchange, unanswered: RequestId[]): void {
    const cancels: JSONRPCMessage[] = [];
    for (const id of unanswered) {
      if (this.inFlight.get(id) !== exchange) continue;
      this.inFlight.delete(id);
      cancels.push({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: id, reason: "The client disconnected" },
      });
    }
    this.deliver(cancels);
  }
}
