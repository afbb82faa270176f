/** One run as the Requests page shows it: the run's log line, its status and its steps. */
export interface RequestLogLine extends Record<string, unknown> {
  id: number;
  time: string;
  requestId: string;
  assistant: string;
  status: number;
}

type Listener = (line: RequestLogLine) => void;

/**
 * The latest run log lines in a bounded ring, and who listens for new ones.
 * Memory is bounded twice: `capacity` lines, `maxListeners` tails.
 */
export class RequestLog {
  readonly capacity: number;
  readonly maxListeners: number;
  /** A ring: `#start` is the oldest line once it is full. `shift()` moved every line each time. */
  readonly #lines: RequestLogLine[] = [];
  #start = 0;
  readonly #listeners = new Set<Listener>();
  #next = 1;

  constructor(options: { capacity?: number; maxListeners?: number } = {}) {
    this.capacity = options.capacity ?? 200;
    this.maxListeners = options.maxListeners ?? 32;
  }

  /**
   * Keeps `fields` itself as the line, with its id and time set on it: the
   * run service builds it for the log alone, so a copy would be waste.
   */
  push(fields: Omit<RequestLogLine, "id" | "time">): void {
    const line = fields as RequestLogLine;
    line.id = this.#next++;
    line.time = new Date().toISOString();
    if (this.#lines.length < this.capacity) this.#lines.push(line);
    else if (this.capacity > 0) {
      this.#lines[this.#start] = line;
      this.#start = (this.#start + 1) % this.capacity;
    }
    for (const listener of this.#listeners) {
      try {
        listener(line);
      } catch {
        this.#listeners.delete(listener); // a broken tail must not break the run that logs
      }
    }
  }

  /** Oldest first. */
  recent(): RequestLogLine[] {
    return [...this.#lines.slice(this.#start), ...this.#lines.slice(0, this.#start)];
  }

  /** `undefined` when there are `maxListeners` already. */
  subscribe(listener: Listener): (() => void) | undefined {
    if (this.#listeners.size >= this.maxListeners) return undefined;
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
