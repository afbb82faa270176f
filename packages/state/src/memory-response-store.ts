import type { Owner, PutOptions, ResponseStore, StoreCallOptions } from "./response-store.js";

export interface MemoryResponseStoreOptions {
  /** The most entries kept; putting one more evicts the oldest. */
  maxEntries: number;
  /** The clock, in ms; tests pass a fake one. */
  now?: () => number;
}

interface Entry<T> {
  value: T;
  owner: Owner;
  expiresAt: number;
}

/**
 * A ResponseStore in this process's memory. A Map keeps insertion order, so
 * the oldest entry is the first one: the size bound evicts from the front,
 * and expired entries are dropped when read or when they reach the front.
 * No timer runs, so nothing keeps the process alive.
 */
export class MemoryResponseStore<T> implements ResponseStore<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryResponseStoreOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1)
      throw new TypeError("MemoryResponseStore: maxEntries must be a positive integer");
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? (() => Date.now());
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  async put(id: string, value: T, options: PutOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const now = this.#now();
    this.#entries.delete(id);
    this.#entries.set(id, { value, owner: options.owner, expiresAt: now + options.ttlMs });
    this.#sweep(now);
  }

  async get(id: string, owner: Owner, options?: StoreCallOptions): Promise<T | undefined> {
    options?.signal?.throwIfAborted();
    return this.#live(id, owner)?.value;
  }

  async delete(id: string, owner: Owner, options?: StoreCallOptions): Promise<boolean> {
    options?.signal?.throwIfAborted();
    if (!this.#live(id, owner)) return false;
    return this.#entries.delete(id);
  }

  #live(id: string, owner: Owner): Entry<T> | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return entry.owner === owner ? entry : undefined;
  }

  #sweep(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size > this.#maxEntries || entry.expiresAt <= now) this.#entries.delete(id);
      else break;
    }
  }
}
