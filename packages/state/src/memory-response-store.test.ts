import { describe, expect, it } from "vitest";
import { MemoryResponseStore } from "./memory-response-store.js";

function clock(start = 1_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("MemoryResponseStore", () => {
  it("gives an entry back to its owner only; to anyone else it does not exist", async () => {
    const store = new MemoryResponseStore<string>({ maxEntries: 10 });
    await store.put("resp_1", "one", { owner: "alice", ttlMs: 60_000 });
    expect(await store.get("resp_1", "alice")).toBe("one");
    expect(await store.get("resp_1", "bob")).toBeUndefined();
    expect(await store.delete("resp_1", "bob")).toBe(false);
    expect(await store.get("resp_1", "alice")).toBe("one");
    expect(await store.delete("resp_1", "alice")).toBe(true);
    expect(await store.get("resp_1", "alice")).toBeUndefined();
    expect(await store.delete("resp_1", "alice")).toBe(false);
  });

  it("expires an entry once its TTL has passed", async () => {
    const time = clock();
    const store = new MemoryResponseStore<string>({ maxEntries: 10, now: time.now });
    await store.put("a", "x", { owner: "o", ttlMs: 1_000 });
    time.advance(999);
    expect(await store.get("a", "o")).toBe("x");
    time.advance(1);
    expect(await store.get("a", "o")).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it("holds at most maxEntries, evicting the oldest first", async () => {
    const store = new MemoryResponseStore<number>({ maxEntries: 3 });
    for (let i = 0; i < 5; i++) await store.put(`r${i}`, i, { owner: "o", ttlMs: 60_000 });
    expect(store.size).toBe(3);
    expect(await store.get("r0", "o")).toBeUndefined();
    expect(await store.get("r1", "o")).toBeUndefined();
    expect(await store.get("r4", "o")).toBe(4);
  });

  it("drops expired entries at the front when it writes, so they do not wait for a read", async () => {
    const time = clock();
    const store = new MemoryResponseStore<number>({ maxEntries: 100, now: time.now });
    for (let i = 0; i < 10; i++) await store.put(`r${i}`, i, { owner: "o", ttlMs: 100 });
    time.advance(100);
    await store.put("fresh", 1, { owner: "o", ttlMs: 100 });
    expect(store.size).toBe(1);
  });

  it("a put of an existing id replaces it and moves it to the back", async () => {
    const store = new MemoryResponseStore<number>({ maxEntries: 2 });
    await store.put("a", 1, { owner: "o", ttlMs: 60_000 });
    await store.put("b", 2, { owner: "o", ttlMs: 60_000 });
    await store.put("a", 3, { owner: "o", ttlMs: 60_000 });
    await store.put("c", 4, { owner: "o", ttlMs: 60_000 });
    expect(await store.get("a", "o")).toBe(3);
    expect(await store.get("b", "o")).toBeUndefined();
  });

  it("honours an aborted signal and refuses a bad size bound", async () => {
    const store = new MemoryResponseStore<number>({ maxEntries: 1 });
    const signal = AbortSignal.abort();
    await expect(store.put("a", 1, { owner: "o", ttlMs: 1, signal })).rejects.toThrow();
    await expect(store.get("a", "o", { signal })).rejects.toThrow();
    expect(() => new MemoryResponseStore({ maxEntries: 0 })).toThrow(TypeError);
  });
});
