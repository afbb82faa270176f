import {
  answeredWhole,
  type BackendEvent,
  completionEvents,
  parseJsonObject,
  type SseMessage,
  type UpstreamBody,
  type WireEvent,
} from "@aiproxy/core";
import { ChunkAccumulator } from "./accumulator.js";
import { type PlainChunk, readPlainChunk } from "./plain-chunk.js";
import { assertComplete, completionFrom, DONE, readChunk } from "./stream.js";
import type { OpenAIChatCompletion } from "./wire.js";

/**
 * A streamed response as wire items: each chunk's text beside its canonical
 * events, then one closing item with `finish`; a stream cut off before its
 * end fails.
 */
export function relayStream(body: UpstreamBody, secrets: string[]): AsyncIterable<WireEvent> {
  if (answeredWhole(body)) return wholeAnswer(body, secrets);
  return { [Symbol.asyncIterator]: () => new RelayReader(body, secrets) };
}

const END: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The items, one `then` on the SSE reader per event: an async generator
 * around that reader cost a `for await` and a `yield`, several promises,
 * per event. As a `for await` would, it closes the reader when it stops
 * early, at `[DONE]` or on a failure.
 */
class RelayReader implements AsyncIterator<WireEvent> {
  readonly #events: AsyncIterator<SseMessage>;
  readonly #accumulator: ChunkAccumulator;
  #ended = false;

  constructor(
    private readonly body: UpstreamBody,
    private readonly secrets: string[],
  ) {
    this.#events = body.events()[Symbol.asyncIterator]();
    this.#accumulator = new ChunkAccumulator({ secrets });
  }

  next(): Promise<IteratorResult<WireEvent>> {
    if (this.#ended) return Promise.resolve(END);
    return this.#events.next().then(this.#onEvent, this.#onFailure);
  }

  return(): Promise<IteratorResult<WireEvent>> {
    if (this.#ended) return Promise.resolve(END);
    this.#ended = true;
    return (this.#events.return?.() ?? Promise.resolve()).then(() => END);
  }

  readonly #onEvent = (
    next: IteratorResult<SseMessage>,
  ): IteratorResult<WireEvent> | Promise<IteratorResult<WireEvent>> => {
    try {
      if (next.done) return this.#close(false);
      const message = next.value;
      const { status } = this.body;
      const plain = message.event === "error" ? undefined : readPlainChunk(message.data);
      if (plain)
        return {
          done: false,
          value: new PlainItem(message.data, plain, this.#accumulator.push(plain.chunk), status),
        };
      const chunk = readChunk(message, status, this.secrets);
      if (chunk === DONE) {
        // The rest of the body is not wanted: closing the reader lets it drain.
        const closed = this.#events.return?.() ?? Promise.resolve();
        return closed.then(() => this.#close(true));
      }
      return {
        done: false,
        value: { data: message.data, chunk, events: this.#accumulator.push(chunk) },
      };
    } catch (error) {
      return this.#fail(error);
    }
  };

  readonly #onFailure = (error: unknown): never => {
    this.#ended = true;
    throw error;
  };

  /** The closing item, once the stream is known to be complete. */
  #close(done: boolean): IteratorResult<WireEvent> {
    this.#ended = true;
    assertComplete(done, this.#accumulator);
    return { done: false, value: { events: this.#accumulator.finish() } };
  }

  /** A chunk that fails: the reader is closed, as a `for await` closes it, then the failure thrown. */
  #fail(error: unknown): Promise<never> {
    const wasEnded = this.#ended;
    this.#ended = true;
    const closed = wasEnded ? Promise.resolve() : (this.#events.return?.() ?? Promise.resolve());
    return closed.then(
      () => Promise.reject(error),
      () => Promise.reject(error),
    );
  }
}

/**
 * A plain chunk's item: a relay forwards its text, so its object is built
 * only if something reads it (a JSON.parse per chunk was the largest cost
 * of a relayed stream in the gateway's profile).
 */
class PlainItem implements WireEvent {
  #chunk: Record<string, unknown> | undefined;

  constructor(
    readonly data: string,
    readonly plain: PlainChunk,
    readonly events: BackendEvent[],
    private readonly status: number,
  ) {}

  get chunk(): Record<string, unknown> {
    this.#chunk ??= parseJsonObject(this.data, this.status);
    return this.#chunk;
  }
}

/** A server that ignored `stream: true`: its whole completion as the one chunk a stream of it would be. */
async function* wholeAnswer(body: UpstreamBody, secrets: string[]): AsyncGenerator<WireEvent> {
  const json = await body.json();
  const events = [...completionEvents(completionFrom(json, body.status, secrets))];
  yield { chunk: chunkOfWhole(json), events };
}

function chunkOfWhole(body: Record<string, unknown>): Record<string, unknown> {
  const { choices, ...rest } = body as OpenAIChatCompletion;
  return {
    ...rest,
    object: "chat.completion.chunk",
    choices: (choices ?? []).map(({ message, ...choice }) => ({
      ...choice,
      delta: {
        ...message,
        ...(message?.tool_calls && {
          tool_calls: message.tool_calls.map((call, index) => ({ index, ...call })),
        }),
      },
    })),
  };
}
