import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  /** Resolves when the connection for this request closes (e.g. the client aborted). */
  closed: Promise<void>;
}

export type Handler = (res: ServerResponse, req: IncomingMessage) => void | Promise<void>;

export interface ReplayServer {
  /** Like `https://api.openai.com/v1`: the backend appends `/chat/completions`. */
  baseUrl: string;
  requests: RecordedRequest[];
  enqueue(...handlers: Handler[]): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 answering each request with the next queued handler. */
export async function startReplayServer(): Promise<ReplayServer> {
  const queue: Handler[] = [];
  const requests: RecordedRequest[] = [];
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
      const handler = queue.shift();
      if (!handler) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "unscripted", type: "server_error" } }));
        return;
      }
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

const fixtureDir = new URL("../fixtures/", import.meta.url);

export function readFixture(name: string): string {
  return readFileSync(new URL(name, fixtureDir), "utf8");
}

/**
 * A fixture as an SSE body. `.sse` files are served as stored, plus the
 * blank line that ends the last event on the wire (stored copies lose it to
 * editors, and SSE drops an unterminated event). `.chunks.txt`
 * (vercel/ai's format: one chunk's JSON per line, `data: [DONE]` left out)
 * and single-chunk `.json` files are framed as `data:` events, with the
 * `[DONE]` the API ends every stream with unless `done` is false.
 */
export function sseFixture(name: string, { done = true } = {}): string {
  const text = readFixture(name);
  if (name.endsWith(".sse")) return `${text.replace(/\n*$/, "")}\n\n`;
  const lines = name.endsWith(".json")
    ? [JSON.stringify(JSON.parse(text))]
    : text.split("\n").filter((line) => line.trim() !== "");
  return lines.map((line) => `data: ${line}\n\n`).join("") + (done ? "data: [DONE]\n\n" : "");
}

/** The parsed chunks of a fixture, for feeding the accumulator directly. */
export function chunksOf(name: string): unknown[] {
  return sseFixture(name, { done: false })
    .split("\n\n")
    .map((event) => event.replace(/^data: /, "").trim())
    .filter((data) => data !== "" && data !== "[DONE]")
    .map((data) => JSON.parse(data) as unknown);
}

/** Writes `body` as an event stream in slices of `sliceBytes`, yielding to the event loop between them. */
export function sse(body: string, sliceBytes = 97): Handler {
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

export function json(
  body: string | object,
  status = 200,
  headers: Record<string, string> = {},
): Handler {
  return (res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
}

/** One `data:` event. */
export function data(payload: object | string): string {
  return `data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
