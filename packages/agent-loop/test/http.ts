import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (
  body: Record<string, unknown>,
  request: IncomingMessage,
) => Promise<Response>;

/**
 * Writes a web Response to a node:http response, the way @hono/node-server
 * does: when the client disconnects before the body ends, the body is
 * cancelled, which is what aborts an agent run.
 */
export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  res.on("close", () => {
    if (!res.writableFinished) reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    // Cancelled: the client is gone.
  }
  res.end();
}

export interface TestServer {
  baseURL: string;
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 and a free port, serving whatever the current handler returns. */
export async function startServer(): Promise<TestServer> {
  let handler: Handler = async () => new Response("no handler", { status: 500 });
  const server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const text = Buffer.concat(parts).toString("utf8");
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    await writeResponse(res, await handler(body, req));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    setHandler(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
