import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { listenHttp } from "../listen.js";
import { completion, errorBody, streamFrames } from "./openai-wire.js";
import { type DemoResponder, demoResponder } from "./responder.js";

export interface DemoModelOptions {
  /** Default 127.0.0.1: the demo model is for this machine only. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Aborting it closes the server, as `close()` does. */
  signal?: AbortSignal;
}

export interface DemoModel {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `${url}/v1`, the base URL an OpenAI client uses. */
  openaiBaseUrl: string;
  /** Stops listening and destroys open sockets. Idempotent. */
  close(): Promise<void>;
}

/** The gateway sends the whole conversation each step; this bounds what one request may hold. */
const maxBodyBytes = 32 * 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.destroy();
        reject(new BodyTooLarge());
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(json)),
  });
  res.end(json);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  respond: DemoResponder,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0]?.replace(/\/+$/, "") ?? "";
  if (req.method !== "POST" || !/^(\/v1)?\/chat\/completions$/.test(path)) {
    req.resume();
    return sendJson(res, 404, errorBody(`Invalid URL (${req.method} ${path})`));
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (error) {
    if (error instanceof BodyTooLarge)
      return sendJson(res, 413, errorBody("The request body is too large."));
    return sendJson(res, 400, errorBody("We could not parse the JSON body of your request."));
  }
  // biome-ignore lint/suspicious/noExplicitAny: checked just below, field by field.
  const request = body as any;
  if (typeof request?.model !== "string" || !Array.isArray(request.messages))
    return sendJson(res, 400, errorBody("A chat request needs a model and messages."));

  const turn = respond({ wire: "openai", body });
  if (request.stream !== true) return sendJson(res, 200, completion(turn, body));
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
  });
  res.end(streamFrames(turn, body));
}

/**
 * Serves the demo model over the OpenAI Chat Completions wire on loopback, so
 * a gateway can reach it with its ordinary OpenAI backend: the demo then runs
 * the same path as a hosted model, with no API key.
 */
export async function startDemoModel(options: DemoModelOptions = {}): Promise<DemoModel> {
  options.signal?.throwIfAborted();
  const respond = demoResponder();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res, respond).catch(() => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, errorBody("The demo model failed.", "server_error"));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  const host = options.host ?? "127.0.0.1";
  const url = await listenHttp(server, host, options.port ?? 0);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });
  return { url, openaiBaseUrl: `${url}/v1`, close };
}
