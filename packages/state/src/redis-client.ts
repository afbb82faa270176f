import type { Redis } from "ioredis";

export interface RedisClientOptions {
  /** Per command, so a Redis that stops answering fails a call instead of hanging it. Default 2000. */
  commandTimeoutMs?: number;
  /** The longest wait between reconnection attempts. Default 1000. */
  maxReconnectDelayMs?: number;
}

/**
 * A Redis connection that fails fast while Redis is away: a command sent
 * then is refused at once rather than queued (callers serve their last
 * state, or answer 503), and the client keeps reconnecting forever, so the
 * gateway heals without a restart. Connecting starts at once; see
 * `waitForRedis`. ioredis is loaded on the first call, so a process that
 * never uses Redis does not hold it in memory.
 */
export async function createRedisClient(
  url: string,
  options: RedisClientOptions = {},
): Promise<Redis> {
  const { Redis } = await import("ioredis");
  const maxDelay = options.maxReconnectDelayMs ?? 1_000;
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay),
  });
  // Without a listener, ioredis prints every failed reconnection; the store's status says it once.
  client.on("error", () => {});
  return client;
}

/** True once `client` is connected, false if it is not within `timeoutMs` (or `signal` aborts). */
export function waitForRedis(
  client: Redis,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  if (client.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      signal?.removeEventListener("abort", onAbort);
      resolve(ready);
    };
    const onReady = () => done(true);
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on("ready", onReady);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export type { Redis };
