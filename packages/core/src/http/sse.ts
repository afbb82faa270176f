import { createParser, type EventSourceMessage } from "eventsource-parser";
import { TimeoutError, UpstreamError } from "../errors.js";

export type SseMessage = EventSourceMessage;

export interface SseOptions {
  signal?: AbortSignal;
  /** Fails with a TimeoutError when no bytes arrive for this long: a stalled stream. */
  idleTimeoutMs?: number;
  /**
   * The most bytes one event may take on the wire, blank line to blank line;
   * a longer one fails with an UpstreamError before the parser buffers it.
   */
  maxEventBytes?: number;
  /** The status the body came with, for the UpstreamError of an oversized event. */
  status?: number;
}

/**
 * Server-sent events from a response body. Breaking out of the loop, an
 * abort, an idle timeout or an oversized event cancels the body, which
 * closes the socket.
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  { signal, idleTimeoutMs, maxEventBytes, status = 200 }: SseOptions = {},
): AsyncGenerator<SseMessage> {
  const queue: SseMessage[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const pending = new PendingEvent();
  let finished = false;
  try {
    while (true) {
      const chunk = await readWithin(reader, idleTimeoutMs, signal);
      if (chunk.done) break;
      if (maxEventBytes !== undefined && pending.add(chunk.value) > maxEventBytes) {
        throw new UpstreamError({
          upstreamStatus: status,
          message: `Upstream sent an SSE event larger than max_event_bytes (${maxEventBytes} bytes)`,
        });
      }
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

const LF = 0x0a;
const CR = 0x0d;

/**
 * Counts the bytes of the event being received: everything since the last
 * blank line (LF, CR or CRLF endings), which bounds what the parser holds.
 */
class PendingEvent {
  private bytes = 0;
  private atLineStart = true;
  private afterCR = false;

  /** Adds a chunk; returns the bytes now pending. */
  add(chunk: Uint8Array): number {
    let boundary = -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === LF && this.afterCR) {
        // The LF of a CRLF: the CR already ended the line.
        this.afterCR = false;
        continue;
      }
      if (byte === LF || byte === CR) {
        if (this.atLineStart) boundary = i;
        this.atLineStart = true;
        this.afterCR = byte === CR;
      } else {
        this.atLineStart = false;
        this.afterCR = false;
      }
    }
    this.bytes = boundary === -1 ? this.bytes + chunk.length : chunk.length - boundary - 1;
    return this.bytes;
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
