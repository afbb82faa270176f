import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  attempt: number,
) => void | Promise<void>;

export interface TestServer {
  url: string;
  /** Requests received so far, with their arrival time. */
  hits: { at: number; headers: IncomingMessage["headers"] }[];
}

const servers: Server[] = [];

/** A real HTTP server on 127.0.0.1; `handlers[i]` answers the i-th request (the last one repeats). */
export async function serve(...handlers: Handler[]): Promise<TestServer> {
  const hits: TestServer["hits"] = [];
  const server = createServer((req, res) => {
    const attempt = hits.length;
    hits.push({ at: Date.now(), headers: req.headers });
    req.resume();
    const handler = handlers[Math.min(attempt, handlers.length - 1)]!;
    void handler(req, res, attempt);
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/chat/completions`, hits };
}

/**
 * A URL whose connection is refused. Not a port a test server just closed:
 * under load another process's `listen(0)` can take that port in between.
 * Port 2 is below the ephemeral range (so no `listen(0)` ever picks it),
 * needs root to listen on, and is not on fetch's list of blocked ports.
 */
export const REFUSED_URL = "http://127.0.0.1:2/v1/chat/completions";

/** For `afterEach`: every server `serve` started, closed with its connections. */
export async function closeServers(): Promise<void> {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Answers with `body` as JSON. */
export const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
