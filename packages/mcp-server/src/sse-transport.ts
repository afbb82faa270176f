import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { EVENT_STREAM_HEADERS, EventStream } from "./event-stream.js";

const KEEP_ALIVE_MS = 15_000;

/**
 * The legacy HTTP+SSE transport (protocol 2024-11-05) on web-standard
 * streams: a GET opens the event stream, whose first event names the URL
 * the client POSTs its messages to.
 */
export class SseServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly response: Response;
  private readonly stream: EventStream;
  private closed = false;

  constructor(
    readonly sessionId: string,
    messageUrl: string,
    signal: AbortSignal,
  ) {
    this.stream = new EventStream(() => void this.close(), {
      keepAliveMs: KEEP_ALIVE_MS,
      first: `event: endpoint\ndata: ${messageUrl}\n\n`,
    });
    signal.addEventListener("abort", () => void this.close(), { once: true });
    this.response = new Response(this.stream.body, { headers: EVENT_STREAM_HEADERS });
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error("Not connected");
    this.stream.message(message);
  }

  /** A POSTed message (or batch), already parsed and checked by the endpoint. */
  receive(messages: JSONRPCMessage[]): void {
    for (const message of messages) this.onmessage?.(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream.close();
    this.onclose?.();
  }
}
