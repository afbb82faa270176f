import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

export interface BodyLimitOptions {
  maxSize: number;
  /** Throws (or answers) for a body over the limit. */
  onError: (c: Context) => Response | Promise<Response>;
}

/**
 * Hono's `bodyLimit`, without its cost on @hono/node-server. A body that
 * declares its length (and no transfer coding) is judged by that header
 * alone: Node's parser never delivers more bytes than it says. Hono's
 * middleware asks for `request.body` first, which makes node-server build a
 * whole web Request around `Readable.toWeb(incoming)`; left alone, the
 * handler's `text()` reads the IncomingMessage directly. Chunked bodies and
 * requests from anywhere else (`app.request()` in tests) go through Hono's
 * middleware unchanged, which counts the bytes as they arrive.
 */
export function limitBody(options: BodyLimitOptions): MiddlewareHandler {
  const counting = bodyLimit(options);
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const method = c.req.method;
    if (incoming === undefined || method === "GET" || method === "HEAD") return counting(c, next);
    const length = incoming.headers["content-length"];
    if (length === undefined || incoming.headers["transfer-encoding"] !== undefined)
      return counting(c, next);
    if (Number.parseInt(length || "0", 10) > options.maxSize) return options.onError(c);
    await next();
  };
}
