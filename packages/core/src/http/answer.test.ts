import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type ChunkReader, STOPPED_READING, sendRequest } from "./answer.js";

/** A server whose handler the test sets, counting the sockets it accepted and saw closed. */
async function serve(handler: (res: ServerResponse, path: string) => void) {
  const sockets: Socket[] = [];
  const closed: Socket[] = [];
  let closedWaiter: (() => void) | undefined;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => handler(res, req.url ?? "/"));
  });
  server.on("connection", (socket) => {
    sockets.push(socket);
    socket.on("close", () => {
      closed.push(socket);
      closedWaiter?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  return {
    url,
    sockets,
    closed,
    /** Resolves once a socket has closed. */
    aSocketClosed: () =>
      closed.length > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            closedWaiter = resolve;
          }),
  };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const post = (signal = new AbortController().signal) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: "{}",
  signal,
});

async function readAll(reader: ChunkReader): Promise<string> {
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += Buffer.from(value).toString("utf8");
  }
}

describe("sendRequest", () => {
  it("gives the status, the headers by name and the body in chunks", async () => {
    const server = await serve((res) => {
      res.writeHead(201, "Made", { "x-one": "1", "set-cookie": ["a=1", "b=2"] });
      res.write("hello ");
      setImmediate(() => res.end("world"));
    });
    const answer = await sendRequest(`${server.url}/x`, post());
    expect(answer.status).toBe(201);
    expect(answer.ok).toBe(true);
    expect(answer.statusText).toBe("Made");
    expect(answer.headers.get("X-One")).toBe("1");
    expect(answer.headers.get("set-cookie")).toBe("a=1, b=2");
    expect(answer.headers.get("absent")).toBeNull();
    const body = answer.body;
    expect(body?.locked).toBe(false);
    const reader = body?.getReader() as ChunkReader;
    expect(body?.locked).toBe(true);
    expect(await readAll(reader)).toBe("hello world");
  });

  it("drains a body its reader stopped reading, so the next request reuses the connection", async () => {
    const server = await serve((res, path) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
      if (path === "/stream") setImmediate(() => res.end("data: [DONE]\n\n"));
      else res.end();
    });
    const first = await sendRequest(`${server.url}/stream`, post());
    const reader = first.body?.getReader() as ChunkReader;
    expect((await reader.read()).done).toBe(false);
    // Resolves once the rest of the body is read: its end arrived, the socket stays open.
    await reader.cancel(STOPPED_READING);
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    reader.releaseLock();
    expect(server.closed).toHaveLength(0);
    // The pool takes the connection back on the client's own next turns of the event loop.
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    const second = await sendRequest(`${server.url}/next`, post());
    await readAll(second.body?.getReader() as ChunkReader);
    expect(server.sockets).toHaveLength(1);
  });

  it("closes the connection of a body given up for a failure", async () => {
    const server = await serve((res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
    });
    const answer = await sendRequest(server.url, post());
    const reader = answer.body?.getReader() as ChunkReader;
    await reader.read();
    await reader.cancel(new Error("stalled"));
    await server.aSocketClosed();
    expect(server.closed).toHaveLength(1);
  });

  it("closes a drained body that goes on past the drain limit", async () => {
    const server = await serve((res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
      const block = "x".repeat(16 * 1024);
      const pump = () => {
        if (res.destroyed) return;
        res.write(block, () => setImmediate(pump));
      };
      pump();
    });
    const answer = await sendRequest(server.url, post());
    const reader = answer.body?.getReader() as ChunkReader;
    await reader.read();
    await reader.cancel(STOPPED_READING);
    await server.aSocketClosed();
    expect(server.closed.length).toBeGreaterThan(0);
  });

  it("fails the read waiting on a body whose connection drops", async () => {
    let open: ServerResponse | undefined;
    const server = await serve((res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
      open = res;
    });
    const answer = await sendRequest(server.url, post());
    const reader = answer.body?.getReader() as ChunkReader;
    await reader.read();
    // Dropped once the client holds the first chunk, with the next read waiting.
    const rest = readAll(reader);
    open?.socket?.destroy();
    await expect(rest).rejects.toThrow();
  });

  it("fails the pending read when the signal aborts", async () => {
    const server = await serve((res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
    });
    const controller = new AbortController();
    const answer = await sendRequest(server.url, post(controller.signal));
    const reader = answer.body?.getReader() as ChunkReader;
    await reader.read();
    const pending = reader.read();
    controller.abort(new Error("client left"));
    await expect(pending).rejects.toThrow();
    await server.aSocketClosed();
  });
});
