import type { Readable } from "node:stream";
import { Agent, type Dispatcher, EnvHttpProxyAgent, request } from "undici";

/** The part of a body reader the exchange uses; a web stream's default reader is one. */
export interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /**
   * Stops reading; a pending `read()` then resolves as done. Resolves once
   * the body is done with (for STOPPED_READING: drained, or closed).
   */
  cancel(reason?: unknown): Promise<void>;
  releaseLock(): void;
}

/** A response body as the exchange reads it; a web `ReadableStream` is one. */
export interface ChunkSource {
  readonly locked: boolean;
  getReader(): ChunkReader;
  cancel(reason?: unknown): Promise<void>;
}

/** Response headers, read by name. */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * An upstream's HTTP response as the exchange reads it: fetch's `Response`
 * fits it as it is; undici's `request` answer is adapted to it.
 */
export interface HttpAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: HeaderReader;
  readonly body: ChunkSource | null;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface SendOptions {
  method: string;
  headers?: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

/**
 * One request over undici's `request`, without the fetch machinery
 * (Request, Headers, web streams) that cost about three times as much CPU
 * per call. Redirects are not followed: the caller sees the 3xx.
 */
export async function sendRequest(url: string, options: SendOptions): Promise<HttpAnswer> {
  const answer = await request(url, {
    method: options.method as Dispatcher.HttpMethod,
    headers: options.headers,
    body: options.body,
    signal: options.signal,
    dispatcher: dispatcher(),
  });
  const source = new ReadableSource(answer.body);
  return {
    status: answer.statusCode,
    ok: answer.statusCode >= 200 && answer.statusCode < 300,
    statusText: answer.statusText ?? "",
    headers: new PlainHeaders(answer.headers),
    body: source,
    text: () => answer.body.text(),
    json: () => answer.body.json(),
  };
}

let shared: Dispatcher | undefined;

/**
 * One connection pool for every backend, as fetch's global one was. Its own
 * header and body timeouts are off: the exchange's connect, idle and overall
 * deadlines are the ones that apply. With `NODE_USE_ENV_PROXY` set, the
 * `HTTP(S)_PROXY` variables are honoured, as Node's fetch honours them.
 */
function dispatcher(): Dispatcher {
  if (shared) return shared;
  const options = { headersTimeout: 0, bodyTimeout: 0 };
  shared = process.env.NODE_USE_ENV_PROXY ? new EnvHttpProxyAgent(options) : new Agent(options);
  return shared;
}

class PlainHeaders implements HeaderReader {
  constructor(private readonly headers: Record<string, string | string[] | undefined>) {}

  get(name: string): string | null {
    const value = this.headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }
}

/** A Node readable as a ChunkSource: its reader hands over what is buffered at each read. */
class ReadableSource implements ChunkSource {
  locked = false;

  constructor(private readonly stream: Readable) {}

  getReader(): ChunkReader {
    if (this.locked) throw new TypeError("the body is already being read");
    this.locked = true;
    return new ReadableReader(this.stream);
  }

  async cancel(): Promise<void> {
    // undici fails a body destroyed before its end with an AbortError, which nobody reads here.
    this.stream.on("error", ignore);
    this.stream.destroy();
  }
}

const ignore = () => {};

/**
 * The cancel reason of a reader that stopped because it has what it wants
 * (an SSE consumer at `[DONE]`, whose body's end is usually still in
 * flight), as against one that gave up.
 */
export const STOPPED_READING = new Error("The reader stopped reading the body");

/**
 * What is drained of a body its reader stopped reading, at most, before the
 * connection is closed. After `[DONE]` the end follows at once; a body that
 * goes on for longer is one its consumer left early, and is closed.
 */
const DRAIN_MAX_BYTES = 64 * 1024;
const DRAIN_MAX_MS = 100;

/**
 * Reads the rest of a body nobody wants, so its connection goes back to
 * the pool: destroying a body before its end closes the socket, and the
 * next request pays for a new one. A body that goes on is closed anyway.
 */
function drain(stream: Readable): Promise<void> {
  let left = DRAIN_MAX_BYTES;
  const timer = setTimeout(() => stream.destroy(), DRAIN_MAX_MS);
  timer.unref();
  const closed = new Promise<void>((resolve) =>
    stream.once("close", () => {
      clearTimeout(timer);
      resolve();
    }),
  );
  stream.on("data", (chunk: Buffer) => {
    left -= chunk.byteLength;
    if (left < 0) stream.destroy();
  });
  stream.resume();
  return closed;
}

const DONE: ReadableStreamReadResult<Uint8Array> = { done: true, value: undefined };

class ReadableReader implements ChunkReader {
  #pending:
    | {
        resolve: (result: ReadableStreamReadResult<Uint8Array>) => void;
        reject: (error: unknown) => void;
      }
    | undefined;
  #ended = false;
  #error: unknown;

  constructor(private readonly stream: Readable) {
    stream.on("readable", this.#onReadable);
    stream.once("end", this.#onEnd);
    stream.on("error", this.#onError);
    stream.once("close", this.#onClose);
  }

  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    const chunk = this.stream.read() as Buffer | null;
    if (chunk !== null) return Promise.resolve({ done: false, value: chunk });
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
    });
  }

  async cancel(reason?: unknown): Promise<void> {
    if (this.#ended || this.#error !== undefined) return;
    this.#ended = true;
    this.#settle(DONE);
    this.stream.off("readable", this.#onReadable);
    this.stream.on("error", ignore);
    if (reason === STOPPED_READING) return drain(this.stream);
    this.stream.destroy();
  }

  releaseLock(): void {
    this.stream.off("readable", this.#onReadable);
  }

  readonly #onReadable = () => {
    if (!this.#pending) return;
    const chunk = this.stream.read() as Buffer | null;
    if (chunk !== null) this.#settle({ done: false, value: chunk });
  };

  readonly #onEnd = () => {
    this.#ended = true;
    this.#settle(DONE);
  };

  readonly #onError = (error: unknown) => {
    this.#error = error;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(error);
  };

  /** A body that closes before its end (the connection dropped) fails the read waiting on it. */
  readonly #onClose = () => {
    if (this.#ended || this.#error !== undefined) return;
    this.#onError(new Error("The upstream closed the connection before the body's end"));
  };

  #settle(result: ReadableStreamReadResult<Uint8Array>): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve(result);
  }
}
