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
  /** Stops listening now, so a request to `url` is refused. */
  close(): Promise<void>;
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
  const close = async () => {
    servers.splice(servers.indexOf(server), 1);
    await new Promise((resolve) => server.close(resolve));
  };
  return { url: `http://127.0.0.1:${port}/v1/chat/completions`, hits, close };
}

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
