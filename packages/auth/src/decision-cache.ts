/**
 * A least-recently-used map with a time to live, for probe answers. Keys
 * are digests of API keys, never the keys. Time is `performance.now()`, so
 * a wall-clock jump cannot stretch an entry's life.
 */
export class DecisionCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(ttlMs: number, maxEntries: number) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= performance.now()) return undefined;
    this.#entries.set(key, entry); // Map order is insertion order: re-inserting marks it recent.
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.#ttlMs <= 0 || this.#maxEntries <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: performance.now() + this.#ttlMs });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * Where probe answers are kept: in this process by default (`DecisionCache`),
 * or shared by replicas (`RedisCache` in @aiproxy/state), injected so this
 * package stays free of any store's client. A store that cannot answer
 * should answer a miss; one that throws is taken as a miss too.
 */
export interface DecisionStore<V> {
  get(key: string, options?: { signal?: AbortSignal }): Promise<V | undefined> | V | undefined;
  set(key: string, value: V, ttlMs: number): Promise<void> | void;
}
