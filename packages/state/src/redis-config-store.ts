import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import {
  type CompareAndSetResult,
  type ConfigSnapshot,
  type ConfigStore,
  type ConfigStoreStatus,
  StoreUnavailableError,
} from "./config-store.js";
import type { StoreCallOptions } from "./response-store.js";

export interface RedisConfigStoreOptions {
  /** Prefixes every key and channel, so several gateways can share one Redis. Default `aiproxy:`. */
  keyPrefix?: string;
  /**
   * How often the store is read again even without a message, healing a
   * missed one (pub/sub delivers at most once). Default 5000 ms.
   */
  resyncMs?: number;
}

/**
 * Writes only if the version is still the expected one, then tells every
 * subscriber, in one step on the server: no reader can see the new value
 * before its version, and no two writers can both win.
 */
const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], 'version')
if (current or '') ~= ARGV[1] then
  return {0, current or '', redis.call('HGET', KEYS[1], 'value') or ''}
end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'value', ARGV[3])
redis.call('PUBLISH', KEYS[2], ARGV[2])
return {1, ARGV[2]}
`;

/**
 * The config in Redis, shared by every replica: one hash (version, JSON
 * value) and a channel announcing each new version. Replicas hear changes
 * from the channel, and read the hash again every `resyncMs` and whenever
 * the connection comes back, so a message missed while away is healed.
 */
export class RedisConfigStore<T> implements ConfigStore<T> {
  readonly #client: Redis;
  readonly #subscriber: Redis;
  readonly #key: string;
  readonly #channel: string;
  readonly #listeners = new Set<(snapshot: ConfigSnapshot<T>) => void>();
  readonly #statusListeners = new Set<(status: ConfigStoreStatus) => void>();
  readonly #timer: NodeJS.Timeout;
  #lastSeen: string | null | undefined;
  #resyncing: Promise<void> | undefined;
  #again = false;
  /** Counts this store's own successful writes, so a read that raced one is not taken as newer. */
  #writes = 0;
  #connected: boolean;
  #error: string | undefined;
  #closed = false;
  /** Resolves once the change channel is subscribed (messages before it are healed by resyncs). */
  readonly subscribed: Promise<void>;

  constructor(client: Redis, options: RedisConfigStoreOptions = {}) {
    const prefix = options.keyPrefix ?? "aiproxy:";
    this.#client = client;
    this.#key = `${prefix}config`;
    this.#channel = `${prefix}config:changed`;
    this.#connected = client.status === "ready";
    // A subscribed connection can send nothing else, so it is a second one.
    this.#subscriber = client.duplicate({ enableOfflineQueue: true });
    this.#subscriber.on("error", () => {});
    this.#subscriber.on("message", () => void this.resync());
    // Once subscribed, read again: a change between the caller's load and now had no listener.
    this.subscribed = this.#subscriber.subscribe(this.#channel).then(
      () => this.resync(),
      () => {},
    );
    client.on("ready", this.#onReady);
    client.on("error", this.#onError);
    client.on("close", this.#onClose);
    this.#timer = setInterval(() => void this.resync(), options.resyncMs ?? 5_000);
    this.#timer.unref();
  }

  readonly #onReady = () => {
    this.#setStatus(true, undefined);
    void this.resync();
  };
  readonly #onError = (error: Error) => {
    this.#error = error.message;
  };
  readonly #onClose = () => this.#setStatus(false, this.#error ?? "connection closed");

  #setStatus(connected: boolean, error: string | undefined): void {
    if (connected === this.#connected && error === this.#error) return;
    this.#connected = connected;
    this.#error = error;
    const status = this.status();
    for (const listener of [...this.#statusListeners]) listener(status);
  }

  status(): ConfigStoreStatus {
    return this.#connected
      ? { kind: "redis", connected: true }
      : { kind: "redis", connected: false, error: this.#error ?? "not connected yet" };
  }

  async load(options?: StoreCallOptions): Promise<ConfigSnapshot<T>> {
    options?.signal?.throwIfAborted();
    let fields: (string | null)[];
    try {
      fields = await this.#client.hmget(this.#key, "version", "value");
    } catch (error) {
      throw new StoreUnavailableError("redis", error);
    }
    const [version, value] = fields;
    if (!version || value === null || value === undefined)
      return { version: null, value: undefined };
    return { version, value: JSON.parse(value) as T };
  }

  async compareAndSet(
    expected: string | null,
    value: T,
    options?: StoreCallOptions,
  ): Promise<CompareAndSetResult<T>> {
    options?.signal?.throwIfAborted();
    const version = randomBytes(8).toString("hex");
    let reply: string[];
    try {
      reply = (await this.#client.eval(
        COMPARE_AND_SET,
        2,
        this.#key,
        this.#channel,
        expected ?? "",
        version,
        JSON.stringify(value),
      )) as string[];
    } catch (error) {
      throw new StoreUnavailableError("redis", error);
    }
    if (Number(reply[0]) === 1) {
      this.#writes++;
      this.#emit({ version, value });
      return { ok: true, version };
    }
    const current = reply[1] ?? "";
    return {
      ok: false,
      current: current
        ? { version: current, value: JSON.parse(reply[2] ?? "null") as T }
        : { version: null, value: undefined },
    };
  }

  watch(listener: (snapshot: ConfigSnapshot<T>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  watchStatus(listener: (status: ConfigStoreStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Reads the store and tells the watchers if its version moved; skipped while disconnected. */
  resync(): Promise<void> {
    if (this.#closed || this.#client.status !== "ready") return Promise.resolve();
    if (this.#resyncing) {
      // The read in flight may predate what prompted this call: read once more after it.
      this.#again = true;
      return this.#resyncing;
    }
    const writes = this.#writes;
    this.#resyncing = this.load()
      .then((snapshot) => {
        // A write of ours landed meanwhile: this read may be older than it.
        if (writes === this.#writes) this.#emit(snapshot);
        else this.#again = true;
      })
      .catch(() => {}) // the status says why; the next resync tries again
      .finally(() => {
        this.#resyncing = undefined;
        if (this.#again) {
          this.#again = false;
          void this.resync();
        }
      });
    return this.#resyncing;
  }

  #emit(snapshot: ConfigSnapshot<T>): void {
    if (snapshot.version === this.#lastSeen) return;
    this.#lastSeen = snapshot.version;
    for (const listener of [...this.#listeners]) listener(snapshot);
  }

  /** Stops listening; the client passed in stays open (its owner closes it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#client.off("ready", this.#onReady);
    this.#client.off("error", this.#onError);
    this.#client.off("close", this.#onClose);
    this.#listeners.clear();
    this.#statusListeners.clear();
    this.#subscriber.disconnect();
  }
}
