import type { AdminPolicy } from "@aiproxy/auth";
import { ServiceUnavailableError } from "@aiproxy/core";
import { Hono } from "hono";
import type { RequestLog, RequestLogLine } from "./request-log.js";

/** A tail further behind than this many unread events is dropped. */
const MAX_BACKLOG = 256;
const HEARTBEAT_MS = 15_000;

/**
 * `GET /admin/requests/stream`: the recent run log lines, then each new one,
 * as server-sent events; guarded like the rest of the admin API.
 */
export function requestTailRoutes(options: { log: RequestLog; policy: AdminPolicy }): Hono {
  const app = new Hono();
  app.get("/stream", (c) => {
    const refusal = options.policy.check(c.req.raw);
    if (refusal) throw refusal;
    if (options.log.listenerCount >= options.log.maxListeners)
      throw new ServiceUnavailableError({
        message: "Too many open request tails; close one and retry",
      });
    const signal = c.req.raw.signal;
    const encoder = new TextEncoder();
    let stop = () => {};
    const stream = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          const send = (line: RequestLogLine) => {
            if ((controller.desiredSize ?? 0) < -MAX_BACKLOG) {
              stop();
              controller.error(new Error("request tail fell behind"));
              return;
            }
            controller.enqueue(encoder.encode(`id: ${line.id}\ndata: ${JSON.stringify(line)}\n\n`));
          };
          const unsubscribe = options.log.subscribe(send) ?? (() => {});
          const heartbeat = setInterval(
            () => controller.enqueue(encoder.encode(": keep-alive\n\n")),
            HEARTBEAT_MS,
          );
          heartbeat.unref?.();
          stop = () => {
            clearInterval(heartbeat);
            unsubscribe();
          };
          signal.addEventListener("abort", () => {
            stop();
            try {
              controller.close();
            } catch {
              // already closed or errored
            }
          });
          controller.enqueue(encoder.encode(": tail\n\n"));
          for (const line of options.log.recent()) send(line);
        },
        cancel() {
          stop();
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
      },
    });
  });
  return app;
}
