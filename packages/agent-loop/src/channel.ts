import { AbortedError, type AiProxyError, InternalError } from "@aiproxy/core";
import type { AgentEvent, AgentResult, AgentRun } from "./types.js";

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The consumer side of a run: events are buffered until read (a run's events
 * are about as large as its output), so a consumer may start iterating late
 * or not at all. `return()` is not queued behind a pending `next()` as it
 * would be with an async generator: a client that goes away while a tool is
 * running aborts the run at once.
 */
export class RunChannel implements AgentRun {
  readonly result: Promise<AgentResult>;
  #resolve!: (result: AgentResult) => void;
  #reject!: (error: AiProxyError) => void;
  #buffer: AgentEvent[] = [];
  #waiting: ((result: IteratorResult<AgentEvent>) => void) | undefined;
  #closed = false;
  #iterated = false;

  constructor(private readonly controller: { abort(reason?: unknown): void }) {
    this.result = new Promise<AgentResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A caller that only iterates learns of failure from the `error` event.
    this.result.catch(() => {});
  }

  emit(event: AgentEvent): void {
    if (this.#closed) return;
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting({ done: false, value: event });
    } else {
      this.#buffer.push(event);
    }
  }

  succeed(result: AgentResult): void {
    this.emit({ type: "finish", result });
    this.#close();
    this.#resolve(result);
  }

  fail(error: AiProxyError): void {
    this.emit({ type: "error", error });
    this.#close();
    this.#reject(error);
  }

  #close(): void {
    this.#closed = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterator<AgentEvent> {
    if (this.#iterated) {
      throw new InternalError({ message: "An AgentRun can be iterated only once" });
    }
    this.#iterated = true;
    let stopped = false;
    return {
      next: () => {
        if (stopped) return Promise.resolve(DONE);
        const event = this.#buffer.shift();
        if (event) return Promise.resolve({ done: false, value: event });
        if (this.#closed) return Promise.resolve(DONE);
        if (this.#waiting) {
          return Promise.reject(
            new InternalError({ message: "AgentRun.next() called before the last one settled" }),
          );
        }
        return new Promise((resolve) => {
          this.#waiting = resolve;
        });
      },
      return: () => {
        stopped = true;
        this.#buffer = [];
        if (!this.#closed) {
          this.controller.abort(
            new AbortedError({ message: "The consumer stopped reading the agent run" }),
          );
        }
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting?.(DONE);
        return Promise.resolve(DONE);
      },
    };
  }
}
