import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

const encoder = new TextEncoder();

/** The headers of every event-stream answer. */
export const EVENT_STREAM_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
} as const;

/**
 * A server-sent event stream of JSON-RPC messages, written as the server
 * sends them. The reader going away (the client disconnected) calls
 * `onCancel`; writes after the end are dropped.
 */
export class EventStream {
  readonly body: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private ended = false;
  private readonly keepAlive: NodeJS.Timeout | undefined;

  constructor(onCancel: () => void, options: { keepAliveMs?: number; first?: string } = {}) {
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        if (options.first !== undefined) controller.enqueue(encoder.encode(options.first));
      },
      cancel: () => {
        this.stop();
        onCancel();
      },
    });
    if (options.keepAliveMs !== undefined) {
      // A comment line now and then, so proxies do not cut an idle stream.
      this.keepAlive = setInterval(() => this.write(": keep-alive\n\n"), options.keepAliveMs);
      this.keepAlive.unref();
    }
  }

  get closed(): boolean {
    return this.ended;
  }

  message(message: JSONRPCMessage): void {
    this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  write(chunk: string): void {
    if (this.ended) return;
    try {
      this.controller.enqueue(encoder.encode(chunk));
    } catch {
      this.stop();
    }
  }

  close(): void {
    if (this.ended) return;
    this.stop();
    try {
      this.controller.close();
    } catch {
      // Already closed by the reader's cancel.
    }
  }

  private stop(): void {
    this.ended = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
  }
}
