import type { Redis } from "ioredis";
import { StoreUnavailableError } from "./config-store.js";
import type { StoreCallOptions } from "./response-store.js";

/** An MCP endpoint session as @aiproxy/mcp-server keeps it (its `SessionRecord`). */
export interface McpSessionRecord {
  id: string;
  owner: string;
  scope: string;
  transport: "streamable-http" | "sse";
  createdAt: number;
  lastSeenAt: number;
}

export interface RedisSessionStoreOptions {
  /** Default `aiproxy:`. */
  keyPrefix?: string;
}

/**
 * MCP endpoint session records in Redis, so every replica knows a session,
 * who owns it and when it was last seen (it fits @aiproxy/mcp-server's
 * `SessionStore`). A record per session plus a sorted set by last use, for
 * the idle sweep and the count; the count, and so `max_sessions`, is then
 * over all replicas. Calls throw StoreUnavailableError while Redis is away.
 */
export class RedisSessionStore {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #index: string;

  constructor(client: Redis, options: RedisSessionStoreOptions = {}) {
    this.#client = client;
    this.#prefix = `${options.keyPrefix ?? "aiproxy:"}mcp-session:`;
    this.#index = `${options.keyPrefix ?? "aiproxy:"}mcp-sessions`;
  }

  async create(record: McpSessionRecord, options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    await this.#exec(
      this.#client
        .multi()
        .set(this.#prefix + record.id, JSON.stringify(record))
        .zadd(this.#index, record.lastSeenAt, record.id),
    );
  }

  async get(id: string, options?: StoreCallOptions): Promise<McpSessionRecord | undefined> {
    options?.signal?.throwIfAborted();
    const text = await this.#call(() => this.#client.get(this.#prefix + id));
    return text === null ? undefined : (JSON.parse(text) as McpSessionRecord);
  }

  async touch(id: string, at: number, options?: StoreCallOptions): Promise<void> {
    const record = await this.get(id, options);
    if (!record) return;
    record.lastSeenAt = Math.max(record.lastSeenAt, at);
    // XX: a session deleted meanwhile is not brought back.
    await this.#exec(
      this.#client
        .multi()
        .set(this.#prefix + id, JSON.stringify(record), "XX")
        .zadd(this.#index, "XX", record.lastSeenAt, id),
    );
  }

  async delete(id: string, options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    await this.#exec(
      this.#client
        .multi()
        .del(this.#prefix + id)
        .zrem(this.#index, id),
    );
  }

  async count(options?: StoreCallOptions): Promise<number> {
    options?.signal?.throwIfAborted();
    return this.#call(() => this.#client.zcard(this.#index));
  }

  async idleSince(before: number, options?: StoreCallOptions): Promise<string[]> {
    options?.signal?.throwIfAborted();
    return this.#call(() => this.#client.zrangebyscore(this.#index, "-inf", `(${before}`));
  }

  async #exec(multi: ReturnType<Redis["multi"]>): Promise<void> {
    const result = await this.#call(() => multi.exec());
    const failed = result?.find(([error]) => error);
    if (!result || failed) throw new StoreUnavailableError("redis", failed?.[0] ?? undefined);
  }

  async #call<R>(run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (error) {
      throw new StoreUnavailableError("redis", error);
    }
  }
}
