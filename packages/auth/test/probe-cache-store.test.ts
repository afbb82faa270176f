import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AuthProvider, apimanGatewayProbe, type DecisionStore } from "../src/index.js";
import { type FakeApiman, startFakeApiman, withKey } from "./helpers/apiman.js";

const KEY = "3f1c0b8e-6a57-4b8e-9d0c-2f5e7a9b1c4d";
let apiman: FakeApiman;
const providers: AuthProvider[] = [];

beforeEach(async () => {
  apiman = await startFakeApiman();
});
afterEach(async () => {
  for (const provider of providers.splice(0)) provider.close?.();
  await apiman.close();
});

/** A store shared by two providers, as Redis is by two replicas; async, like Redis. */
function sharedStore() {
  const entries = new Map<string, { value: unknown; ttlMs: number }>();
  const store: DecisionStore<unknown> & { failing: boolean } = {
    failing: false,
    async get(key) {
      if (store.failing) throw new Error("store away");
      return entries.get(key)?.value;
    },
    async set(key, value, ttlMs) {
      if (store.failing) throw new Error("store away");
      entries.set(key, { value, ttlMs });
    },
  };
  return { store, entries };
}

function probe(cacheStore: DecisionStore<unknown>, cacheTtlMs = 60_000): AuthProvider {
  const provider = apimanGatewayProbe({
    gatewayUrl: apiman.gatewayUrl,
    probeApi: "acme/llm-proxy/1.0",
    cacheStore,
    cacheTtlMs,
  });
  providers.push(provider);
  return provider;
}

describe("an injected cache store", () => {
  it("is shared: a second provider uses the first one's answer, kept for cacheTtlMs, keyed by digest", async () => {
    apiman.answer = () => 204;
    const { store, entries } = sharedStore();
    expect(await probe(store).authenticate(withKey(KEY))).toMatchObject({ ok: true });
    // The cache is written once the probe settles, not awaited by the caller.
    await expect.poll(() => entries.size).toBe(1);
    expect(await probe(store).authenticate(withKey(KEY))).toMatchObject({ ok: true });
    expect(apiman.requests).toHaveLength(1);
    const [[id, entry]] = [...entries] as unknown as [[string, { ttlMs: number }]];
    expect(id).not.toContain(KEY);
    expect(entry.ttlMs).toBe(60_000);
  });

  it("a value it did not write is a miss; so is a store that throws", async () => {
    apiman.answer = () => 401;
    const { store, entries } = sharedStore();
    const provider = probe(store);
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    await expect.poll(() => entries.size).toBe(1);
    for (const entry of entries.values()) entry.value = { kind: "accept-everyone" };
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    expect(apiman.requests).toHaveLength(2);
    store.failing = true;
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    expect(apiman.requests).toHaveLength(3);
  });

  it("is not used with cacheTtlMs 0", async () => {
    apiman.answer = () => 204;
    const { store, entries } = sharedStore();
    const provider = probe(store, 0);
    await provider.authenticate(withKey(KEY));
    await provider.authenticate(withKey(KEY));
    expect(apiman.requests).toHaveLength(2);
    expect(entries.size).toBe(0);
  });
});
