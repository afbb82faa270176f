import { startRedis, type TestRedis } from "@aiproxy/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConfigSnapshot,
  type ConfigStoreStatus,
  StoreUnavailableError,
} from "./config-store.js";
import { RedisCache } from "./redis-cache.js";
import { createRedisClient, waitForRedis } from "./redis-client.js";
import { RedisConfigStore } from "./redis-config-store.js";
import { RedisResponseStore } from "./redis-response-store.js";
import { RedisSessionStore } from "./redis-session-store.js";

let redis: TestRedis;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis?.stop();
});

async function client(): Promise<Redis> {
  const c = await createRedisClient(redis.url, { maxReconnectDelayMs: 100 });
  clients.push(c);
  expect(await waitForRedis(c, 10_000)).toBe(true);
  return c;
}

/** The next snapshot a watcher is given, as a promise. */
function nextChange<T>(store: RedisConfigStore<T>, match: (s: ConfigSnapshot<T>) => boolean) {
  return new Promise<ConfigSnapshot<T>>((resolve) => {
    const stop = store.watch((snapshot) => {
      if (!match(snapshot)) return;
      stop();
      resolve(snapshot);
    });
  });
}

function nextStatus<T>(store: RedisConfigStore<T>, connected: boolean) {
  return new Promise<ConfigStoreStatus>((resolve) => {
    if (store.status().connected === connected) return resolve(store.status());
    const stop = store.watchStatus((status) => {
      if (status.connected !== connected) return;
      stop();
      resolve(status);
    });
  });
}

describe("RedisConfigStore", () => {
  it("compare-and-set wins once per version; the loser is given what is there", async () => {
    const prefix = `t${Math.random()}:`;
    const a = new RedisConfigStore<{ n: number }>(await client(), { keyPrefix: prefix });
    const b = new RedisConfigStore<{ n: number }>(await client(), { keyPrefix: prefix });
    expect(await a.load()).toEqual({ version: null, value: undefined });
    const first = await a.compareAndSet(null, { n: 1 });
    expect(first.ok).toBe(true);
    const lost = await b.compareAndSet(null, { n: 2 });
    expect(lost).toEqual({
      ok: false,
      current: { version: first.ok && first.version, value: { n: 1 } },
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).compareAndSet(first.ok ? first.version : null, { n: 10 + i }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const winner = results.findIndex((r) => r.ok);
    expect((await b.load()).value).toEqual({ n: 10 + winner });
    await a.close();
    await b.close();
  });

  it("another store hears a change from the channel", async () => {
    const prefix = `t${Math.random()}:`;
    const writer = new RedisConfigStore<{ n: number }>(await client(), { keyPrefix: prefix });
    const reader = new RedisConfigStore<{ n: number }>(await client(), {
      keyPrefix: prefix,
      resyncMs: 60_000,
    });
    await reader.subscribed;
    const heard = nextChange(reader, (s) => s.value?.n === 7);
    for (let n = 0; n < 7; n++) await writer.compareAndSet((await writer.load()).version, { n });
    await writer.compareAndSet((await writer.load()).version, { n: 7 });
    expect((await heard).value).toEqual({ n: 7 });
    await writer.close();
    await reader.close();
  });

  it("a resync heals a change no message announced", async () => {
    const prefix = `t${Math.random()}:`;
    const raw = await client();
    const reader = new RedisConfigStore<{ n: number }>(await client(), {
      keyPrefix: prefix,
      resyncMs: 50,
    });
    const heard = nextChange(reader, (s) => s.version === "quiet");
    await raw.hset(`${prefix}config`, "version", "quiet", "value", JSON.stringify({ n: 5 }));
    expect((await heard).value).toEqual({ n: 5 });
    await reader.close();
  });

  it("Redis gone: status says so, writes throw StoreUnavailableError; back: connected and read again", async () => {
    const prefix = `t${Math.random()}:`;
    const store = new RedisConfigStore<{ n: number }>(await client(), {
      keyPrefix: prefix,
      resyncMs: 60_000,
    });
    await store.compareAndSet(null, { n: 1 });
    await redis.kill();
    expect((await nextStatus(store, false)).connected).toBe(false);
    const failed = await store.compareAndSet(null, { n: 2 }).catch((e: unknown) => e);
    expect(StoreUnavailableError.isInstance(failed)).toBe(true);
    expect((failed as StoreUnavailableError).status).toBe(503);
    expect(StoreUnavailableError.isInstance(await store.load().catch((e: unknown) => e))).toBe(
      true,
    );
    // Back, empty (it saves nothing): the reconnection reads again and reports the empty store.
    const emptied = nextChange(store, (s) => s.version === null);
    await redis.restart();
    await nextStatus(store, true);
    expect(await emptied).toEqual({ version: null, value: undefined });
    await store.close();
  });
});

describe("RedisResponseStore", () => {
  it("gives an entry to its owner only and lets Redis expire it", async () => {
    const store = new RedisResponseStore<{ text: string }>(await client(), {
      keyPrefix: `t${Math.random()}:`,
    });
    await store.put("resp_1", { text: "hi" }, { owner: "alice", ttlMs: 60_000 });
    expect(await store.get("resp_1", "alice")).toEqual({ text: "hi" });
    expect(await store.get("resp_1", "bob")).toBeUndefined();
    expect(await store.delete("resp_1", "bob")).toBe(false);
    expect(await store.delete("resp_1", "alice")).toBe(true);
    expect(await store.get("resp_1", "alice")).toBeUndefined();
    const raw = await client();
    await store.put("resp_2", { text: "short" }, { owner: "alice", ttlMs: 60_000 });
    const keys = await raw.keys("*response:resp_2");
    const ttl = await raw.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe("RedisCache", () => {
  it("keeps a value for its TTL, and answers a miss (not an error) while Redis is away", async () => {
    const c = await client();
    const cache = new RedisCache<{ kind: string }>(c, {
      namespace: "probe",
      keyPrefix: `t${Math.random()}:`,
    });
    await cache.set("k", { kind: "accept" }, 60_000);
    expect(await cache.get("k")).toEqual({ kind: "accept" });
    expect(await cache.get("other")).toBeUndefined();
    c.disconnect();
    expect(await cache.get("k")).toBeUndefined();
    await expect(cache.set("k", { kind: "x" }, 1000)).resolves.toBeUndefined();
  });
});

describe("RedisSessionStore", () => {
  it("keeps records shared, touched, counted, swept by idleness and deleted", async () => {
    const prefix = `t${Math.random()}:`;
    const a = new RedisSessionStore(await client(), { keyPrefix: prefix });
    const b = new RedisSessionStore(await client(), { keyPrefix: prefix });
    const record = {
      id: "s1",
      owner: "o",
      scope: "a1",
      transport: "sse" as const,
      createdAt: 1,
      lastSeenAt: 100,
    };
    await a.create(record);
    await a.create({ ...record, id: "s2", lastSeenAt: 300 });
    expect(await b.get("s1")).toEqual(record);
    expect(await b.count()).toBe(2);
    expect(await b.idleSince(200)).toEqual(["s1"]);
    await b.touch("s1", 400);
    expect((await a.get("s1"))?.lastSeenAt).toBe(400);
    expect(await a.idleSince(350)).toEqual(["s2"]);
    await a.delete("s2");
    await b.touch("s2", 500); // deleted meanwhile: not brought back
    expect(await a.get("s2")).toBeUndefined();
    expect(await a.count()).toBe(1);
  });

  it("keeps a streamable session's handshake, and carries broadcasts to every store on the prefix", async () => {
    const prefix = `t${Math.random()}:`;
    const a = new RedisSessionStore(await client(), { keyPrefix: prefix });
    const b = new RedisSessionStore(await client(), { keyPrefix: prefix });
    const other = new RedisSessionStore(await client(), { keyPrefix: `${prefix}x:` });
    try {
      const record = {
        id: "s3",
        owner: "o",
        scope: "*",
        transport: "streamable-http" as const,
        createdAt: 1,
        lastSeenAt: 1,
        client: {
          protocolVersion: "2025-06-18",
          capabilities: { roots: {} },
          clientInfo: { name: "c", version: "1" },
        },
      };
      await a.create(record);
      await b.touch("s3", 5);
      expect(await b.get("s3")).toEqual({ ...record, lastSeenAt: 5 });

      const heard: unknown[] = [];
      other.subscribe((message) => heard.push(message));
      const received = new Promise<unknown>((resolve) => {
        const stop = b.subscribe((message) => {
          stop();
          resolve(message);
        });
      });
      await Promise.all([b.subscribed, other.subscribed]);
      const cancel = { type: "cancelled" as const, session: "s3", from: "r1", requestId: 7 };
      await a.publish(cancel);
      expect(await received).toEqual(cancel);
      // A second message after the first proves the other prefix's channel was not just slow.
      const ended = new Promise<unknown>((resolve) => b.subscribe(resolve));
      await a.publish({ type: "ended", session: "s3", from: "r1" });
      expect(await ended).toEqual({ type: "ended", session: "s3", from: "r1" });
      expect(heard).toEqual([]);
    } finally {
      a.close();
      b.close();
      other.close();
    }
  });
});
