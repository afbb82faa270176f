import type { Redis } from "ioredis";
import type { StoreCallOptions } from "./response-store.js";

export interface RedisCacheOptions {
  /** Default `aiproxy:`. */
  keyPrefix?: string;
  /** Names this cache's keys: `<prefix>cache:<namespace>:<key>`. */
  namespace: string;
}

/**
 * A cache of JSON values with a time to live, shared by replicas. A cache
 * may forget: while Redis is away, `get` answers a miss and `set` does
 * nothing, so its user does the work itself instead of failing.
 */
export class RedisCache<V> {
  readonly #client: Redis;
  readonly #prefix: string;

  constructor(client: Redis, options: RedisCacheOptions) {
    this.#client = client;
    this.#prefix = `${options.keyPrefix ?? "aiproxy:"}cache:${options.namespace}:`;
  }

  async get(key: string, options?: StoreCallOptions): Promise<V | undefined> {
    options?.signal?.throwIfAborted();
    try {
      const value = await this.#client.get(this.#prefix + key);
      return value === null ? undefined : (JSON.parse(value) as V);
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: V, ttlMs: number, options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    if (ttlMs <= 0) return;
    try {
      await this.#client.set(this.#prefix + key, JSON.stringify(value), "PX", Math.ceil(ttlMs));
    } catch {
      // forgotten, as a cache may
    }
  }
}
