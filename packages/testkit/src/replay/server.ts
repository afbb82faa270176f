import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ReplayRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  /** Resolves when the connection for this request closes (e.g. the client aborted). */
  closed: Promise<void>;
}

/** Writes one response, byte for byte as the test wants it. */
export type ReplayHandler = (res: ServerResponse, req: IncomingMessage) => void | Promise<void>;

export interface ReplayServer {
  /** `http://127.0.0.1:PORT/v1`, the base URL an adapter is given. */
  baseUrl: string;
  requests: ReplayRequest[];
  /** FIFO; each request consumes one. */
  enqueue(...handlers: ReplayHandler[]): void;
  /** Stops listening and destroys open sockets. */
  close(): Promise<void>;
}

export interface ReplayServerOptions {
  /** Answers a request when the queue is empty. Default: a 500 with an OpenAI-style error body. */
  unscripted?: ReplayHandler;
}

const defaultUnscripted: ReplayHandler = (res) => {
  res.writeHead(500, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { message: "unscripted", type: "server_error" } }));
};

/**
 * A real HTTP server on 127.0.0.1 that answers each request with the next
 * queued handler: for replaying recorded provider responses and streams
 * exactly, where the scripted upstream would re-encode them.
 */
export async function startReplayServer(options: ReplayServerOptions = {}): Promise<ReplayServer> {
  const unscripted = options.unscripted ?? defaultUnscripted;
  const queue: ReplayHandler[] = [];
  const requests: ReplayRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const closed = new Promise<void>((resolve) => res.on("close", resolve));
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      requests.push({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        closed,
      });
      const handler = queue.shift() ?? unscripted;
      Promise.resolve(handler(res, req)).catch(() => res.destroy());
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...handlers) => queue.push(...handlers),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes `body` as an event stream in slices of `sliceBytes`, yielding to the event loop between them. */
export function replaySse(body: string, sliceBytes = 97): ReplayHandler {
  return async (res) => {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    const bytes = Buffer.from(body, "utf8");
    for (let offset = 0; offset < bytes.length; offset += sliceBytes) {
      res.write(bytes.subarray(offset, offset + sliceBytes));
      await new Promise((resolve) => setImmediate(resolve));
    }
    res.end();
  };
}

export function replayJson(
  body: string | object,
  status = 200,
  headers: Record<string, string> = {},
): ReplayHandler {
  return (res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
}
