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

export interface TestUpstream {
  /** Like `https://api.anthropic.com/v1`: the backend appends `/messages`. */
  baseUrl: string;
  requests: RecordedRequest[];
  enqueue(...handlers: Handler[]): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 answering each request with the next
 * queued handler (500 when none is left).
 */
export async function startUpstream(): Promise<TestUpstream> {
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
        res.end(
          JSON.stringify({ type: "error", error: { type: "api_error", message: "unscripted" } }),
        );
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

/**
 * A fixture as an SSE body: `.sse` as stored, `.chunks.txt` lines wrapped as
 * events. The API ends every event with a blank line; the stored files lost
 * the last one to editors, and SSE drops an unterminated event, so it is put back.
 */
export function sseFixture(name: string): string {
  const text = readFileSync(new URL(name, fixtureDir), "utf8");
  if (!name.endsWith(".chunks.txt")) return `${text.replace(/\n*$/, "")}\n\n`;
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`)
    .join("");
}

export function jsonFixture(name: string): string {
  return readFileSync(new URL(name, fixtureDir), "utf8");
}

/** Writes `body` as an event stream in slices of `sliceBytes`, yielding to the event loop between them. */
export function sse(body: string, sliceBytes = 97): Handler {
  return async (res) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
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

/** An SSE event as Anthropic frames it. */
export function event(data: { type: string; [key: string]: unknown }): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The opening events of a text stream, then one text delta per word, `delayMs` apart; never ends by itself. */
export function slowTextStream(words: string[], delayMs: number, end = false): Handler {
  return async (res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(
      event({
        type: "message_start",
        message: { id: "msg_slow", content: [], usage: { input_tokens: 1, output_tokens: 1 } },
      }) +
        event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    );
    for (const word of words) {
      if (res.destroyed) return;
      res.write(
        event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: word } }),
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    if (end && !res.destroyed) {
      res.end(
        event({ type: "content_block_stop", index: 0 }) +
          event({
            type: "message_delta",
            delta: { stop_reason: "end_turn" },
            usage: { output_tokens: 2 },
          }) +
          event({ type: "message_stop" }),
      );
    }
  };
}

/** Never answers. */
export const silent: Handler = () => {};

export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
