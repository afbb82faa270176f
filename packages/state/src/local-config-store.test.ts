import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileConfigStore, MemoryConfigStore } from "./local-config-store.js";

describe("FileConfigStore", () => {
  it("writes owner-only JSON, versioned by its bytes, and refuses a stale version", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "aiproxy-state-")), "sub", "admin.json");
    const store = new FileConfigStore<{ n: number }>(path);
    expect(await store.load()).toEqual({ version: null, value: undefined });
    const seen: unknown[] = [];
    store.watch((s) => seen.push(s.value));
    const first = await store.compareAndSet(null, { n: 1 });
    expect(first.ok).toBe(true);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ n: 1 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await store.compareAndSet(null, { n: 2 })).toMatchObject({
      ok: false,
      current: { value: { n: 1 } },
    });
    // Same bytes, same version: a restart (a new store on the file) sees the version it was given.
    expect((await new FileConfigStore(path).load()).version).toBe(first.ok && first.version);
    writeFileSync(path, JSON.stringify({ n: 3 }));
    const edited = await store.load();
    expect(edited.version).not.toBe(first.ok && first.version);
    expect(seen).toEqual([{ n: 1 }]);
  });

  it("serializes concurrent writers: exactly one of those reading the same version wins", async () => {
    const store = new MemoryConfigStore<number>();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.compareAndSet(null, i)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(store.status()).toEqual({ kind: "file", connected: true });
  });
});
