import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Logger, silentLogger } from "@aiproxy/core";
import { serve } from "@hono/node-server";
import type { Gateway } from "./gateway.js";

export interface ServeOptions {
  host: string;
  port: number;
  /** How long shutdown waits for requests in flight before cutting them. */
  shutdownGraceMs?: number;
  /** Time allowed to receive a whole request, so a trickled body cannot hold a socket. */
  requestReceiveTimeoutMs?: number;
  logger?: Logger;
}

export interface RunningGateway {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  server: Server;
  /** Drains (stop accepting, finish what is in flight up to the grace), then disposes everything. */
  shutdown(): Promise<void>;
}

export async function serveGateway(
  gateway: Gateway,
  options: ServeOptions,
): Promise<RunningGateway> {
  const logger = options.logger ?? silentLogger;
  const requestTimeout = options.requestReceiveTimeoutMs ?? 60_000;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        fetch: gateway.app.fetch,
        hostname: options.host,
        port: options.port,
        serverOptions: {
          requestTimeout,
          headersTimeout: Math.min(30_000, requestTimeout),
          // Node checks those timeouts on this interval (30 s by default), so a
          // slow-loris client could otherwise hold a socket well past them.
          connectionsCheckingInterval: Math.min(1_000, requestTimeout),
        },
      },
      () => resolve(s as Server),
    ) as Server;
    s.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  gateway.listening(port);
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;

  let shuttingDown: Promise<void> | undefined;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      const grace = options.shutdownGraceMs ?? 30_000;
      logger.info({ graceMs: grace }, "draining");
      gateway.drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<"expired">((resolve) => {
        timer = setTimeout(() => resolve("expired"), grace);
      });
      if ((await Promise.race([closed, expired])) === "expired") {
        logger.warn({ graceMs: grace }, "grace period over: closing the connections left");
        server.closeAllConnections();
        await closed;
      }
      clearTimeout(timer);
      await gateway.close();
      logger.info({}, "stopped");
    })();
    return shuttingDown;
  };

  return { url: `http://${host}:${port}`, port, server, shutdown };
}
