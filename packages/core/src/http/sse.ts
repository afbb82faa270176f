import { createParser, type EventSourceMessage } from "eventsource-parser";
import { TimeoutError } from "../errors.js";

export type SseMessage = EventSourceMessage;

export interface SseOptions {
  signal?: AbortSignal;
  /** Fails with a TimeoutError when no bytes arrive for this long: a stalled stream. */
  idleTimeoutMs?: number;
}

/**
 * Server-sent events from a response body. Breaking out of the loop, an
 * abort or an idle timeout cancels the body, which closes the socket.
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  { signal, idleTimeoutMs }: SseOptions = {},
): AsyncGenerator<SseMessage> {
  const queue: SseMessage[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  try {
    while (true) {
      const chunk = await readWithin(reader, idleTimeoutMs, signal);
      if (chunk.done) break;
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      while (queue.length > 0) yield queue.shift() as SseMessage;
    }
    parser.feed(decoder.decode());
    while (queue.length > 0) yield queue.shift() as SseMessage;
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  idleTimeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (!idleTimeoutMs && !signal) return reader.read();
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      cleanup();
      reject(signal?.reason);
    };
    const timer = idleTimeoutMs
      ? setTimeout(() => {
          cleanup();
          reject(new TimeoutError(`Upstream stream stalled: no data for ${idleTimeoutMs} ms`));
        }, idleTimeoutMs)
      : undefined;
    signal?.addEventListener("abort", onAbort, { once: true });
    reader.read().then(
      (result) => {
        cleanup();
        resolve(result);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}
