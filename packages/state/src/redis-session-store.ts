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
  /** The client's `initialize` params, from which another replica revives the session. */
  client?: {
    protocolVersion: string;
    capabilities: Record<string, unknown>;
    clientInfo: { name: string; version: string } & Record<string, unknown>;
  };
}

/** What one replica's MCP endpoint tells the others (its `SessionBroadcast`). */
export type McpSessionBroadcast =
  | {
      type: "cancelled";
      session: string;
      from: string;
      requestId: string | number;
      reason?: string;
    }
  | { type: "ended"; session: string; from: string };

function isBroadcast(value: unknown): value is McpSessionBroadcast {
  const v = value as Partial<Record<string, unknown>> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    (v.type === "cancelled" || v.type === "ended") &&
    typeof v.session === "string" &&
    typeof v.from === "string"
  );
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
 * `publish`/`subscribe` carry the endpoints' broadcasts (a cancel, a
 * session's end) over one pub/sub channel, on a second connection opened
 * by the first `subscribe`; a message sent while Redis is away is lost
 * (the next use or sweep of a session still finds its record gone).
 */
export class RedisSessionStore {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #index: string;
  readonly #channel: string;
  readonly #listeners = new Set<(message: McpSessionBroadcast) => void>();
  #subscriber: Redis | undefined;
  /** Resolves once the channel is subscribed (after the first `subscribe`). */
  subscribed: Promise<void> = Promise.resolve();

  constructor(client: Redis, options: RedisSessionStoreOptions = {}) {
    const prefix = options.keyPrefix ?? "aiproxy:";
    this.#client = client;
    this.#prefix = `${prefix}mcp-session:`;
    this.#index = `${prefix}mcp-sessions`;
    this.#channel = `${prefix}mcp-session:events`;
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
    const result = await this.#call(() =>
      this.#client
        .multi()
        .get(this.#prefix + id)
        .zscore(this.#index, id)
        .exec(),
    );
    const [[getError, text] = [], [scoreError, score] = []] = result ?? [];
    if (!result || getError || scoreError)
      throw new StoreUnavailableError("redis", getError ?? scoreError ?? undefined);
    if (typeof text !== "string") return undefined;
    const record = JSON.parse(text) as McpSessionRecord;
    // The last use lives in the index only, so a touch is one small write.
    if (typeof score === "string") record.lastSeenAt = Math.max(record.lastSeenAt, Number(score));
    return record;
  }

  async touch(id: string, at: number, options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    // XX: a session deleted meanwhile is not brought back; GT: never moved back in time.
    await this.#call(() => this.#client.zadd(this.#index, "XX", "GT", at, id));
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

  async publish(message: McpSessionBroadcast): Promise<void> {
    await this.#call(() => this.#client.publish(this.#channel, JSON.stringify(message)));
  }

  subscribe(listener: (message: McpSessionBroadcast) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#subscriber) {
      // A subscribed connection can send nothing else, so it is a second one.
      const subscriber = this.#client.duplicate({ enableOfflineQueue: true });
      subscriber.on("error", () => {});
      subscriber.on("message", (_channel: string, text: string) => {
        let message: unknown;
        try {
          message = JSON.parse(text);
        } catch {
          return;
        }
        if (!isBroadcast(message)) return;
        for (const each of [...this.#listeners]) each(message);
      });
      this.subscribed = subscriber.subscribe(this.#channel).then(
        () => {},
        () => {},
      );
      this.#subscriber = subscriber;
    }
    return () => this.#listeners.delete(listener);
  }

  /** Closes the subscription's connection; the client passed in is the caller's. */
  close(): void {
    this.#listeners.clear();
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
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
