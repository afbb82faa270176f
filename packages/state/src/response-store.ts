/** Who a stored response belongs to: only the same owner may read or delete it. */
export type Owner = string;

export interface StoreCallOptions {
  signal?: AbortSignal;
}

export interface PutOptions extends StoreCallOptions {
  owner: Owner;
  /** How long the entry lives, from now. */
  ttlMs: number;
}

/**
 * Stored responses of the Responses API, keyed by response id. An entry is
 * visible only to its owner: to anyone else it does not exist, so `get`
 * and `delete` answer as for an unknown id and nothing tells the two apart.
 * Implementations: `MemoryResponseStore` (one process); a shared one
 * (Redis) implements the same interface.
 */
export interface ResponseStore<T> {
  put(id: string, value: T, options: PutOptions): Promise<void>;
  /** The value, or undefined when the id is unknown, expired or someone else's. */
  get(id: string, owner: Owner, options?: StoreCallOptions): Promise<T | undefined>;
  /** True when an entry of this owner was removed. */
  delete(id: string, owner: Owner, options?: StoreCallOptions): Promise<boolean>;
}
