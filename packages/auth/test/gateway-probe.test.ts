import { REDACTED } from "@aiproxy/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type AuthProvider,
  apimanGatewayProbe,
  createAuthChain,
  extractCredentials,
  type GatewayProbeOptions,
  staticKeys,
} from "../src/index.js";
import {
  captureLogger,
  clientRequest,
  type FakeApiman,
  REFUSED_APIMAN_URL,
  startFakeApiman,
  withKey,
} from "./helpers/apiman.js";

const KEY = "3f1c0b8e-6a57-4b8e-9d0c-2f5e7a9b1c4d";
const OTHER_KEY = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

let apiman: FakeApiman;
const providers: AuthProvider[] = [];

beforeEach(async () => {
  apiman = await startFakeApiman();
});
afterEach(async () => {
  for (const provider of providers.splice(0)) provider.close?.();
  await apiman.close();
});

function probe(options: Partial<GatewayProbeOptions> = {}): AuthProvider {
  const provider = apimanGatewayProbe({
    gatewayUrl: apiman.gatewayUrl,
    probeApi: "acme/llm-proxy/1.0",
    probePath: "probe",
    ...options,
  });
  providers.push(provider);
  return provider;
}

describe("answers of the Apiman gateway", () => {
  it("accepts on 2xx and remembers it", async () => {
    apiman.answer = () => 204;
    const provider = probe();
    expect(await provider.authenticate(withKey(KEY))).toEqual({
      ok: true,
      provider: "apiman_gateway_probe",
    });
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: true });
    expect(apiman.requests).toHaveLength(1);
    expect(apiman.requests[0]!.key).toBe(KEY);
  });

  it.each([401, 403])("refuses on %i and remembers the refusal", async (status) => {
    apiman.answer = () => status;
    const provider = probe();
    expect(await provider.authenticate(withKey(KEY))).toEqual({
      ok: false,
      reason: `Apiman refused the key (${status})`,
    });
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    expect(apiman.requests).toHaveLength(1);
  });

  it("refuses on 500, logs it, and asks again next time", async () => {
    apiman.answer = () => 500;
    const logs = captureLogger();
    const provider = probe({ logger: logs.logger });
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    expect(apiman.requests).toHaveLength(2);
    expect(logs.entries.filter((e) => e.level === "warn")).toHaveLength(2);
    expect(logs.entries[0]!.data).toMatchObject({ provider: "apiman_gateway_probe", status: 500 });
  });

  it("accepts once Apiman recovers from a 500", async () => {
    apiman.answer = () => 500;
    const provider = probe();
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    apiman.answer = () => 200;
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: true });
    expect(apiman.requests).toHaveLength(2);
  });

  it("refuses when Apiman never answers, after timeoutMs, and does not cache it", async () => {
    apiman.answer = () => "hang";
    const logs = captureLogger();
    const provider = probe({ timeoutMs: 100, logger: logs.logger });
    expect(await provider.authenticate(withKey(KEY))).toEqual({
      ok: false,
      reason: "the Apiman gateway could not be asked",
    });
    await apiman.requests[0]!.closed; // the timed-out request was cancelled
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    expect(apiman.requests).toHaveLength(2);
    expect(logs.text()).toContain("timed out after 100 ms");
  });

  it("refuses when Apiman is down, and tries again next time", async () => {
    const logs = captureLogger();
    let attempts = 0;
    const provider = probe({
      gatewayUrl: REFUSED_APIMAN_URL,
      logger: logs.logger,
      fetch: (input, init) => {
        attempts++;
        return fetch(input, init);
      },
    });
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    expect(attempts).toBe(2);
    expect(apiman.requests).toHaveLength(0);
    expect(logs.text()).toContain("ECONNREFUSED");
  });

  it("does not follow a redirect, which would take the key elsewhere", async () => {
    apiman.answer = (key) => (key ? { redirect: `${apiman.origin}/elsewhere` } : 200);
    const provider = probe();
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    expect(apiman.requests.map((r) => r.url)).toEqual(["/apiman-gateway/acme/llm-proxy/1.0/probe"]);
  });
});

describe("the probe request", () => {
  it("is a GET of {gatewayUrl}/{probeApi}/{probePath} with single slashes", async () => {
    const provider = probe({
      gatewayUrl: `${apiman.gatewayUrl}//`,
      probeApi: "/acme/llm-proxy/1.0/",
      probePath: "//health/check",
    });
    await provider.authenticate(withKey(KEY));
    expect(apiman.requests[0]).toMatchObject({
      method: "GET",
      url: "/apiman-gateway/acme/llm-proxy/1.0/health/check",
    });
  });

  it("has no trailing segment when probePath is absent", async () => {
    const provider = probe({ probePath: undefined });
    await provider.authenticate(withKey(KEY));
    expect(apiman.requests[0]!.url).toBe("/apiman-gateway/acme/llm-proxy/1.0");
  });

  it("carries nothing of the caller's request but the key, in the configured header", async () => {
    const custom = await startFakeApiman("x-apiman-key");
    try {
      const provider = probe({ gatewayUrl: custom.gatewayUrl, apiKeyHeader: "X-Apiman-Key" });
      const request = clientRequest(
        {
          authorization: `Bearer ${KEY}`,
          "x-api-key": KEY,
          cookie: "session=abc",
          "x-forwarded-for": "10.0.0.1",
          "openai-organization": "org-1",
        },
        `?apikey=${KEY}&model=x`,
      );
      const credentials = extractCredentials(request);
      expect(await provider.authenticate({ request, credentials })).toMatchObject({ ok: true });
      expect(custom.requests).toHaveLength(1);
      const seen = custom.requests[0]!;
      expect(seen.url).toBe("/apiman-gateway/acme/llm-proxy/1.0/probe");
      expect(seen.headers["x-apiman-key"]).toBe(KEY);
      // What fetch itself always sends, and the key header: nothing else.
      const ownHeaders = [
        "host",
        "connection",
        "accept",
        "accept-language",
        "accept-encoding",
        "sec-fetch-mode",
        "user-agent",
      ];
      for (const name of Object.keys(seen.headers)) {
        expect([...ownHeaders, "x-apiman-key"]).toContain(name);
      }
      expect(JSON.stringify(seen.headers).split(KEY)).toHaveLength(2);
    } finally {
      await custom.close();
    }
  });

  it("is not made without a key, nor for a key that cannot be sent as a header", async () => {
    const provider = probe();
    expect(await provider.authenticate({ request: clientRequest(), credentials: [] })).toEqual({
      ok: false,
      reason: "no API key",
    });
    expect(
      await provider.authenticate({ request: clientRequest(), credentials: ["a key\nX-Evil: 1"] }),
    ).toEqual({ ok: false, reason: "malformed API key" });
    expect(apiman.requests).toHaveLength(0);
  });

  it("is not made when a request to the chain carries no key at all", async () => {
    const chain = createAuthChain([probe()]);
    expect(await chain.authenticate(clientRequest({ cookie: "session=1" }))).toEqual({
      ok: false,
      reason: "Missing API key",
    });
    expect(apiman.requests).toHaveLength(0);
  });

  it("is made for each distinct credential; any accepted one is enough", async () => {
    apiman.answer = (key) => (key === OTHER_KEY ? 200 : 401);
    const provider = probe();
    const decision = await provider.authenticate({
      request: clientRequest(),
      credentials: [KEY, OTHER_KEY],
    });
    expect(decision).toMatchObject({ ok: true });
    expect(apiman.requests.map((r) => r.key).sort()).toEqual([KEY, OTHER_KEY].sort());
  });
});

describe("cache", () => {
  it("forgets an answer after cacheTtlMs", async () => {
    // The cache's clock is performance.now(): only it is faked, so sockets and timers run as usual.
    vi.useFakeTimers({ toFake: ["performance"] });
    try {
      const provider = probe({ cacheTtlMs: 30 });
      await provider.authenticate(withKey(KEY));
      vi.advanceTimersByTime(29);
      apiman.answer = () => 401;
      expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: true });
      expect(apiman.requests).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
      expect(apiman.requests).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is off with cacheTtlMs 0", async () => {
    const provider = probe({ cacheTtlMs: 0 });
    await provider.authenticate(withKey(KEY));
    await provider.authenticate(withKey(KEY));
    expect(apiman.requests).toHaveLength(2);
  });

  it("never lets two keys sharing a long prefix share an entry", async () => {
    const prefix = "k".repeat(500);
    const good = `${prefix}-good`;
    const bad = `${prefix}-bad`;
    apiman.answer = (key) => (key === good ? 200 : 401);
    const provider = probe();
    expect(await provider.authenticate(withKey(good))).toMatchObject({ ok: true });
    expect(await provider.authenticate(withKey(bad))).toMatchObject({ ok: false });
    expect(await provider.authenticate(withKey(good))).toMatchObject({ ok: true });
    expect(await provider.authenticate(withKey(bad))).toMatchObject({ ok: false });
    expect(apiman.requests.map((r) => r.key)).toEqual([good, bad]);
  });

  it("holds at most cacheMaxEntries answers, evicting the least recently used", async () => {
    const provider = probe({ cacheMaxEntries: 2 });
    for (const key of ["key-a", "key-b"]) await provider.authenticate(withKey(key));
    await provider.authenticate(withKey("key-a")); // a is now more recent than b
    await provider.authenticate(withKey("key-c")); // evicts b
    expect(apiman.requests).toHaveLength(3);
    await provider.authenticate(withKey("key-a"));
    await provider.authenticate(withKey("key-c"));
    expect(apiman.requests).toHaveLength(3);
    await provider.authenticate(withKey("key-b"));
    expect(apiman.requests.map((r) => r.key)).toEqual(["key-a", "key-b", "key-c", "key-b"]);
  });

  it("is emptied by close()", async () => {
    const provider = probe();
    await provider.authenticate(withKey(KEY));
    provider.close?.();
    expect(await provider.authenticate(withKey(KEY))).toMatchObject({ ok: false });
    expect(apiman.requests).toHaveLength(1);
  });
});

describe("single flight", () => {
  it("makes one probe for 100 concurrent requests with the same uncached key", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    apiman.answer = async (key) => {
      if (key === KEY) await released;
      return 200;
    };
    const chain = createAuthChain([probe()]);
    const decisions = Promise.all(
      Array.from({ length: 100 }, () =>
        chain.authenticate(clientRequest({ authorization: `Bearer ${KEY}` })),
      ),
    );
    // A probe for another key, started after the hundred: once it has been
    // answered, a stray second probe for KEY would have been sent before it.
    const later = await chain.authenticate(clientRequest({ authorization: `Bearer ${OTHER_KEY}` }));
    expect(later).toMatchObject({ ok: true });
    expect(apiman.requests.map((r) => r.key)).toEqual([KEY, OTHER_KEY]);
    release();
    const results = await decisions;
    expect(results.every((d) => d.ok)).toBe(true);
    expect(apiman.requests.filter((r) => r.key === KEY)).toHaveLength(1);
  });

  it("keeps the shared probe going while anyone still waits for it", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    apiman.answer = async () => {
      await released;
      return 200;
    };
    const provider = probe();
    const quitter = new AbortController();
    const first = provider.authenticate({ ...withKey(KEY), signal: quitter.signal });
    const second = provider.authenticate(withKey(KEY));
    await apiman.waitForRequests(1);
    quitter.abort();
    expect(await first).toMatchObject({ ok: false });
    release();
    expect(await second).toMatchObject({ ok: true });
    expect(apiman.requests).toHaveLength(1);
  });

  it("aborts the probe when nobody waits for it any more, without a warning", async () => {
    apiman.answer = () => "hang";
    const logs = captureLogger();
    const signals: AbortSignal[] = [];
    const fetches: Promise<unknown>[] = [];
    const slowProbe = probe({
      logger: logs.logger,
      fetch: (input, init) => {
        if (init?.signal) signals.push(init.signal);
        const response = fetch(input, init);
        fetches.push(response.catch((e: unknown) => e));
        return response;
      },
    });
    const chain = createAuthChain([staticKeys([KEY]), slowProbe]);
    const decision = chain.authenticate(clientRequest({ authorization: `Bearer ${KEY}` }));
    expect(await decision).toEqual({ ok: true, provider: "static_keys", keyIndex: 0 });
    expect(signals).toHaveLength(1);
    const aborted = await fetches[0];
    expect(signals[0]!.aborted).toBe(true);
    expect(aborted).not.toBeInstanceOf(Response);
    // The probe handles the rejected fetch in the microtasks after it; a macrotask is after those.
    await new Promise((resolve) => setImmediate(resolve));
    expect(logs.entries.filter((e) => e.level === "warn")).toEqual([]);
    // The answer was not learnt, so a request relying on the probe asks again.
    apiman.answer = () => 200;
    expect(await slowProbe.authenticate(withKey(KEY))).toMatchObject({ ok: true });
    expect(signals).toHaveLength(2);
    expect(logs.entries.filter((e) => e.level === "warn")).toEqual([]);
  });
});

describe("logs", () => {
  it("never contain the key, whatever goes wrong", async () => {
    const logs = captureLogger();
    const cases: Partial<GatewayProbeOptions>[] = [
      { timeoutMs: 100 },
      { gatewayUrl: REFUSED_APIMAN_URL },
      {
        fetch: async () => {
          throw new Error(`the key ${KEY} was rejected by a proxy`);
        },
      },
    ];
    apiman.answer = () => "hang";
    for (const options of cases) {
      const chain = createAuthChain([probe({ ...options, logger: logs.logger })], {
        logger: logs.logger,
      });
      const request = clientRequest({ "x-api-key": KEY }, `?apikey=${KEY}`);
      expect(await chain.authenticate(request)).toMatchObject({ ok: false });
    }
    apiman.answer = () => 502;
    await probe({ logger: logs.logger }).authenticate(withKey(KEY));
    expect(logs.entries.filter((e) => e.level === "warn")).toHaveLength(4);
    expect(logs.text()).toContain(REDACTED);
    expect(logs.text()).not.toContain(KEY);
    expect(logs.text()).not.toContain(KEY.slice(0, 8));
  });
});
