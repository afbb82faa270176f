import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

const encoder = new TextEncoder();
/** A comment line now and then, so proxies do not cut an idle stream. */
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
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private closed = false;
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    readonly sessionId: string,
    messageUrl: string,
    signal: AbortSignal,
  ) {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        controller.enqueue(encoder.encode(`event: endpoint\ndata: ${messageUrl}\n\n`));
      },
      cancel: () => void this.close(),
    });
    this.keepAlive = setInterval(() => this.write(": keep-alive\n\n"), KEEP_ALIVE_MS);
    this.keepAlive.unref();
    signal.addEventListener("abort", () => void this.close(), { once: true });
    this.response = new Response(stream, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
      },
    });
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error("Not connected");
    this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** A POSTed message (or batch), already parsed and checked by the endpoint. */
  receive(messages: JSONRPCMessage[]): void {
    for (const message of messages) this.onmessage?.(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    try {
      this.controller.close();
    } catch {
      // Already closed by the reader's cancel.
    }
    this.onclose?.();
  }

  private write(chunk: string): void {
    if (this.closed) return;
    try {
      this.controller.enqueue(encoder.encode(chunk));
    } catch {
      void this.close();
    }
  }
}
