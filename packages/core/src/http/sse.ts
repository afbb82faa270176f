import { createParser, type EventSourceMessage } from "eventsource-parser";
import { TimeoutError, UpstreamError } from "../errors.js";
import { type ChunkReader, type ChunkSource, STOPPED_READING } from "./answer.js";

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
  body: ChunkSource,
  { signal, idleTimeoutMs, maxEventBytes, status = 200 }: SseOptions = {},
): AsyncGenerator<SseMessage> {
  // Events of a chunk are yielded from here directly: a `yield*` of a sync
  // generator costs an async wrapper and its promises per event. Nothing is
  // delivered once the signal aborts, even events of a chunk already read.
  const queue: SseMessage[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const sizes = maxEventBytes === undefined ? undefined : new EventSizes(maxEventBytes);
  const watch = new ReadWatch(reader, idleTimeoutMs, signal);
  let finished = false;
  let failure: unknown;
  try {
    for (;;) {
      const chunk = await watch.read();
      const fits = chunk.done ? undefined : sizes?.overflow(chunk.value);
      if (chunk.done) parser.feed(decoder.decode());
      // Of an oversized event's chunk, only the whole events before it reach the parser.
      else
        parser.feed(
          decoder.decode(fits === undefined ? chunk.value : chunk.value.subarray(0, fits), {
            stream: true,
          }),
        );
      while (queue.length > 0) {
        if (signal?.aborted) throw signal.reason;
        yield queue.shift() as SseMessage;
      }
      if (fits !== undefined)
        throw new UpstreamError({
          upstreamStatus: status,
          message: `Upstream sent an SSE event larger than max_event_bytes (${maxEventBytes} bytes)`,
        });
      if (chunk.done) break;
    }
    finished = true;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    watch.close();
    // A consumer that stops at `[DONE]` stops every stream before the body's
    // end, which is usually still in flight: STOPPED_READING lets the body
    // drain so its connection is reused (and spares undici's fetch the
    // DOMException it builds for a reasonless cancel); a failure closes it.
    // Not awaited: the consumer need not wait for the rest of a body it does not want.
    if (!finished) reader.cancel(failure ?? STOPPED_READING).catch(() => {});
    reader.releaseLock();
  }
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Measures events on the wire, blank line to blank line (LF, CR or CRLF
 * endings), as their bytes arrive, so an oversized one is caught before the
 * parser holds it, whether it comes whole in one chunk or never ends.
 */
class EventSizes {
  private open = 0;
  private atLineStart = true;
  private afterCR = false;

  constructor(private readonly maxBytes: number) {}

  /**
   * Adds a chunk. Returns undefined when every event in it fits; else how
   * many of its leading bytes hold only whole events that fit.
   */
  overflow(chunk: Uint8Array): number | undefined {
    let eventStart = 0;
    // Only CR and LF change the state, so jump between them with the native
    // indexOf instead of testing every byte in JS (6% of a streaming run's CPU).
    let nextLf = chunk.indexOf(LF);
    let nextCr = chunk.indexOf(CR);
    let i = 0;
    while (i < chunk.length) {
      if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
      if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
      const next = Math.min(
        nextLf === -1 ? chunk.length : nextLf,
        nextCr === -1 ? chunk.length : nextCr,
      );
      if (next > i) {
        // Bytes other than CR and LF: the line has content.
        this.atLineStart = false;
        this.afterCR = false;
      }
      if (next === chunk.length) break;
      i = next;
      const byte = chunk[i];
      i++;
      if (byte === LF && this.afterCR) {
        // The LF of a CRLF: the CR already ended the line.
        this.afterCR = false;
        continue;
      }
      if (this.atLineStart) {
        // A blank line: the event that began at `eventStart` is complete.
        if (this.open + i - eventStart > this.maxBytes) return eventStart;
        this.open = 0;
        eventStart = i;
      }
      this.atLineStart = true;
      this.afterCR = byte === CR;
    }
    this.open += chunk.length - eventStart;
    return this.open > this.maxBytes ? eventStart : undefined;
  }
}

/**
 * Reads a body under the idle timeout and the signal, with one timer and one
 * abort listener for the whole stream rather than a new pair per read (a
 * stream is read a dozen times a second per connection). The timer only
 * counts while a read is pending: it is re-armed as each read starts, and a
 * tick between reads (the consumer is busy, a slow client) is ignored.
 */
class ReadWatch {
  #pending: ((error: unknown) => void) | undefined;
  readonly #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly reader: ChunkReader,
    private readonly idleTimeoutMs: number | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#timer = idleTimeoutMs ? setTimeout(this.#onIdle, idleTimeoutMs) : undefined;
  }

  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (this.signal?.aborted) return Promise.reject(this.signal.reason);
    if (!this.#timer && !this.signal) return this.reader.read();
    this.#timer?.refresh();
    return new Promise((resolve, reject) => {
      this.#pending = reject;
      this.reader.read().then(
        (result) => {
          this.#pending = undefined;
          resolve(result);
        },
        (error: unknown) => {
          this.#pending = undefined;
          reject(error);
        },
      );
    });
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.signal?.removeEventListener("abort", this.#onAbort);
    this.#pending = undefined;
  }

  readonly #onAbort = () => this.#fail(this.signal?.reason);

  readonly #onIdle = () =>
    this.#fail(new TimeoutError(`Upstream stream stalled: no data for ${this.idleTimeoutMs} ms`));

  #fail(error: unknown): void {
    const reject = this.#pending;
    this.#pending = undefined;
    reject?.(error);
  }
}
