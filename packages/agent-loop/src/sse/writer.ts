/** Headers every SSE response of a renderer carries. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

export interface SseBodyOptions {
  /**
   * While nothing is sent for this long (a long tool call), `keepAliveFrame`
   * is written so proxies do not close an idle connection. 0 turns it off.
   */
  keepAliveMs: number;
  /** Default an SSE comment, which every parser skips. */
  keepAliveFrame?: string;
}

/**
 * An SSE body from already-encoded frames. Frames produced in the same turn
 * of the event loop (one network read from the upstream often carries
 * several) go out as one write, which saves a syscall per frame. The source
 * is read only while the consumer has room, so a slow client slows the
 * upstream instead of filling memory. Cancelling the body (the client went
 * away) returns the source, which aborts the run behind it.
 */
export function sseBody(
  source: AsyncIterator<string>,
  first: string,
  options: SseBodyOptions,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const keepAliveFrame = options.keepAliveFrame ?? ": keep-alive\n\n";
  const { keepAliveMs } = options;
  let batch = "";
  let flushQueued = false;
  let lastSentAt = Date.now();
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let wake: (() => void) | undefined;
  let closed = false;

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const flush = () => {
        flushQueued = false;
        if (closed || batch === "") return;
        controller.enqueue(encoder.encode(batch));
        batch = "";
        lastSentAt = Date.now();
      };
      const send = (text: string) => {
        batch += text;
        if (!flushQueued) {
          flushQueued = true;
          setImmediate(flush);
        }
      };
      const end = () => {
        flush();
        closed = true;
        clearInterval(keepAlive);
        controller.close();
      };
      if (keepAliveMs > 0)
        keepAlive = setInterval(() => {
          if (closed || batch !== "" || Date.now() - lastSentAt < keepAliveMs / 2) return;
          controller.enqueue(encoder.encode(keepAliveFrame));
          lastSentAt = Date.now();
        }, keepAliveMs);

      send(first);
      void (async () => {
        for (;;) {
          if ((controller.desiredSize ?? 1) <= 0)
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          if (closed) return;
          const next = await source.next();
          if (closed) return;
          if (next.done) return end();
          send(next.value);
        }
      })().catch(() => {
        // A source must encode its own failures as frames; one that throws anyway ends the stream.
        if (!closed) end();
      });
    },
    pull() {
      wake?.();
      wake = undefined;
    },
    async cancel() {
      closed = true;
      clearInterval(keepAlive);
      wake?.();
      await source.return?.();
    },
  });
}
