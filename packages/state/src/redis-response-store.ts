import type { Redis } from "ioredis";
import { StoreUnavailableError } from "./config-store.js";
import type { Owner, PutOptions, ResponseStore, StoreCallOptions } from "./response-store.js";

export interface RedisResponseStoreOptions {
  /** Default `aiproxy:`; entries are `<prefix>response:<id>`. */
  keyPrefix?: string;
}

/** Deletes only the owner's entry; anyone else's id does not exist. */
const DELETE_OWNED = `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

/**
 * A ResponseStore in Redis, shared by replicas: a hash per response (owner,
 * JSON value) that Redis expires after its TTL. Values must survive
 * JSON. The size bound is Redis's own (`maxmemory` with an eviction policy).
 * A call while Redis is away throws StoreUnavailableError (503).
 */
export class RedisResponseStore<T> implements ResponseStore<T> {
  readonly #client: Redis;
  readonly #prefix: string;

  constructor(client: Redis, options: RedisResponseStoreOptions = {}) {
    this.#client = client;
    this.#prefix = `${options.keyPrefix ?? "aiproxy:"}response:`;
  }

  async put(id: string, value: T, options: PutOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const key = this.#prefix + id;
    const ttl = Math.max(1, Math.ceil(options.ttlMs));
    const result = await this.#call(() =>
      this.#client
        .multi()
        .del(key)
        .hset(key, "owner", options.owner, "value", JSON.stringify(value))
        .pexpire(key, ttl)
        .exec(),
    );
    const failed = result?.find(([error]) => error);
    if (!result || failed) throw new StoreUnavailableError("redis", failed?.[0] ?? undefined);
  }

  async get(id: string, owner: Owner, options?: StoreCallOptions): Promise<T | undefined> {
    options?.signal?.throwIfAborted();
    const [stored, value] = await this.#call(() =>
      this.#client.hmget(this.#prefix + id, "owner", "value"),
    );
    if (stored !== owner || value === null || value === undefined) return undefined;
    return JSON.parse(value) as T;
  }

  async delete(id: string, owner: Owner, options?: StoreCallOptions): Promise<boolean> {
    options?.signal?.throwIfAborted();
    const removed = await this.#call(() =>
      this.#client.eval(DELETE_OWNED, 1, this.#prefix + id, owner),
    );
    return Number(removed) === 1;
  }

  async #call<R>(run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (error) {
      throw new StoreUnavailableError("redis", error);
    }
  }
}
