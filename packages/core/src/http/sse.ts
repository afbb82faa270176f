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

/** The events of a body, read as they are pulled; returning closes the body. */
export interface SseEvents extends AsyncIterableIterator<SseMessage> {
  return(value?: unknown): Promise<IteratorResult<SseMessage>>;
}

/**
 * Server-sent events from a response body. Breaking out of the loop, an
 * abort, an idle timeout or an oversized event cancels the body, which
 * closes the socket.
 */
export function readSse(body: ChunkSource, options: SseOptions = {}): SseEvents {
  return new SseReader(body, options);
}

const END: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** What comes once the events of the chunk read last are delivered. */
type AfterChunk = "read" | "end" | { error: unknown };

/**
 * `readSse`'s iterator, written out rather than an async generator: an
 * event of a chunk already read is handed over with one resolved promise,
 * where a generator's `yield` cost an await and its own promises per event.
 * Nothing is delivered once the signal aborts, even events of a chunk
 * already read.
 */
class SseReader implements SseEvents {
  readonly #queue: SseMessage[] = [];
  readonly #parser = createParser({ onEvent: (event) => this.#queue.push(event) });
  readonly #reader: ChunkReader;
  readonly #decoder = new TextDecoder();
  readonly #sizes: EventSizes | undefined;
  readonly #watch: ReadWatch;
  readonly #signal: AbortSignal | undefined;
  readonly #maxEventBytes: number | undefined;
  readonly #status: number;
  #after: AfterChunk = "read";
  #closed = false;

  constructor(
    body: ChunkSource,
    { signal, idleTimeoutMs, maxEventBytes, status = 200 }: SseOptions,
  ) {
    this.#reader = body.getReader();
    this.#sizes = maxEventBytes === undefined ? undefined : new EventSizes(maxEventBytes);
    this.#watch = new ReadWatch(this.#reader, idleTimeoutMs, signal);
    this.#signal = signal;
    this.#maxEventBytes = maxEventBytes;
    this.#status = status;
  }

  [Symbol.asyncIterator](): SseEvents {
    return this;
  }

  next(): Promise<IteratorResult<SseMessage>> {
    if (this.#closed) return Promise.resolve(END);
    return this.#pump();
  }

  return(): Promise<IteratorResult<SseMessage>> {
    // A consumer that stops at `[DONE]` stops every stream before the body's
    // end, which is usually still in flight: STOPPED_READING lets the body
    // drain so its connection is reused (and spares undici's fetch the
    // DOMException it builds for a reasonless cancel).
    if (!this.#closed) this.#close(false, STOPPED_READING);
    return Promise.resolve(END);
  }

  /** The next queued event, else what follows the chunk they came from. */
  #pump(): Promise<IteratorResult<SseMessage>> {
    if (this.#queue.length > 0) {
      if (this.#signal?.aborted) return this.#fail(this.#signal.reason);
      return Promise.resolve({ done: false, value: this.#queue.shift() as SseMessage });
    }
    const after = this.#after;
    if (after === "read") return this.#watch.read().then(this.#onChunk, this.#onFailure);
    if (after === "end") {
      this.#close(true);
      return Promise.resolve(END);
    }
    return this.#fail(after.error);
  }

  readonly #onChunk = (
    chunk: ReadableStreamReadResult<Uint8Array>,
  ): Promise<IteratorResult<SseMessage>> => {
    // Returned while the read was pending: the cancel ended that read.
    if (this.#closed) return Promise.resolve(END);
    try {
      if (chunk.done) {
        this.#parser.feed(this.#decoder.decode());
        this.#after = "end";
      } else {
        const fits = this.#sizes?.overflow(chunk.value);
        // Of an oversized event's chunk, only the whole events before it reach the parser.
        const bytes = fits === undefined ? chunk.value : chunk.value.subarray(0, fits);
        this.#parser.feed(this.#decoder.decode(bytes, { stream: true }));
        if (fits !== undefined)
          this.#after = {
            error: new UpstreamError({
              upstreamStatus: this.#status,
              message: `Upstream sent an SSE event larger than max_event_bytes (${this.#maxEventBytes} bytes)`,
            }),
          };
      }
    } catch (error) {
      return this.#fail(error);
    }
    return this.#pump();
  };

  readonly #onFailure = (error: unknown): Promise<never> => this.#fail(error);

  #fail(error: unknown): Promise<never> {
    if (!this.#closed) this.#close(false, error);
    return Promise.reject(error);
  }

  /**
   * Done with the body: a failure, or a consumer that stopped, cancels it
   * (not awaited: nobody need wait for the rest of a body it does not want).
   */
  #close(finished: boolean, reason?: unknown): void {
    this.#closed = true;
    this.#watch.close();
    if (!finished) this.#reader.cancel(reason).catch(() => {});
    this.#reader.releaseLock();
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
