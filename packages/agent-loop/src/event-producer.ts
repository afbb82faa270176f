import { InternalError } from "@aiproxy/core";
import type { AgentEvent, AgentRun } from "./types.js";

/**
 * What every renderer's producer shares: it pulls the run's events one at a
 * time and hands each to `handle`, which queues the wire's items for it. A
 * failure of the iteration itself arrives as an `error` event, so a renderer
 * has one failure path; `return()` reaches the run at once, aborting it.
 */
export abstract class EventProducer<Item> implements AsyncIterator<Item> {
  readonly #events: AsyncIterator<AgentEvent>;
  #pending: Item[] = [];
  #ended = false;

  constructor(run: AgentRun) {
    this.#events = run[Symbol.asyncIterator]();
  }

  /** Turns one event of the run into zero or more items (`push`). */
  protected abstract handle(event: AgentEvent): void;

  /** Queues an item for the consumer. */
  protected push(item: Item): void {
    this.#pending.push(item);
  }

  /** Translates no event after this one. */
  protected end(): void {
    this.#ended = true;
  }

  async next(): Promise<IteratorResult<Item>> {
    while (this.#pending.length === 0) {
      if (this.#ended) return { done: true, value: undefined };
      let next: IteratorResult<AgentEvent>;
      try {
        next = await this.#events.next();
      } catch (error) {
        next = {
          done: false,
          value: {
            type: "error",
            error: new InternalError({ message: "Agent run failed", cause: error }),
          },
        };
      }
      if (next.done) this.#ended = true;
      else this.handle(next.value);
    }
    return { done: false, value: this.#pending.shift() as Item };
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    this.#ended = true;
    this.#pending = [];
    await this.#events.return?.();
    return { done: true, value: undefined };
  }
}
