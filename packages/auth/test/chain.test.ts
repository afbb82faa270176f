import { AbortedError, REDACTED } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import {
  type AuthDecision,
  type AuthProvider,
  apimanTrustedHeader,
  createAuthChain,
  staticKeys,
} from "../src/index.js";
import { captureLogger, clientRequest } from "./helpers/apiman.js";

const KEY = "sk-proxy-7f3a9c2e41b8";

const refusing: AuthProvider = {
  name: "refusing",
  authenticate: async () => ({ ok: false, reason: "never" }),
};

/** Never decides; records whether it was told to stop. */
function stalling() {
  const seen: { signal?: AbortSignal } = {};
  const provider: AuthProvider = {
    name: "stalling",
    authenticate: ({ signal }) => {
      seen.signal = signal;
      return new Promise<AuthDecision>(() => {});
    },
  };
  return { provider, seen };
}

describe("createAuthChain", () => {
  it("is open, and accepts everything, without providers", async () => {
    const chain = createAuthChain([]);
    expect(chain.open).toBe(true);
    expect(await chain.authenticate(clientRequest())).toEqual({ ok: true, provider: "open" });
  });

  it("accepts when any provider accepts", async () => {
    const chain = createAuthChain([refusing, staticKeys([KEY])]);
    expect(chain.open).toBe(false);
    // The chain hands on the provider's whole decision, which key matched included.
    expect(await chain.authenticate(clientRequest({ "x-api-key": KEY }))).toEqual({
      ok: true,
      provider: "static_keys",
      keyIndex: 0,
    });
  });

  it("does not wait for the others once one accepts, and aborts their work", async () => {
    const { provider, seen } = stalling();
    const chain = createAuthChain([provider, staticKeys([KEY])]);
    expect(
      await chain.authenticate(clientRequest({ authorization: `Bearer ${KEY}` })),
    ).toMatchObject({ ok: true });
    expect(seen.signal?.aborted).toBe(true);
  });

  it("refuses when every provider refuses, saying whether a key was sent", async () => {
    const chain = createAuthChain([refusing, staticKeys([KEY])]);
    expect(await chain.authenticate(clientRequest({ "x-api-key": "sk-wrong" }))).toEqual({
      ok: false,
      reason: "Invalid API key",
    });
    expect(await chain.authenticate(clientRequest())).toEqual({
      ok: false,
      reason: "Missing API key",
    });
  });

  it("accepts the trusted header without any key", async () => {
    const chain = createAuthChain([
      staticKeys([KEY]),
      apimanTrustedHeader({ header: "X-Apiman-Auth", secret: "shared" }),
    ]);
    expect(await chain.authenticate(clientRequest({ "x-apiman-auth": "shared" }))).toEqual({
      ok: true,
      provider: "apiman_trusted_header",
    });
  });

  it("counts a provider that throws as a refusal and logs it without the key", async () => {
    const logs = captureLogger();
    const throwing: AuthProvider = {
      name: "throwing",
      authenticate: async ({ credentials }) => {
        throw new Error(`lookup of ${credentials[0]} failed`);
      },
    };
    const chain = createAuthChain([throwing], { logger: logs.logger });
    expect(await chain.authenticate(clientRequest({}, `?apikey=${KEY}`))).toEqual({
      ok: false,
      reason: "Invalid API key",
    });
    const warnings = logs.entries.filter((e) => e.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.data).toEqual({
      provider: "throwing",
      error: `Error: lookup of ${REDACTED} failed`,
    });
    expect(logs.text()).not.toContain(KEY);
  });

  it("still accepts through another provider when one throws synchronously", async () => {
    const throwing: AuthProvider = {
      name: "throwing",
      authenticate: () => {
        throw new Error("boom");
      },
    };
    const chain = createAuthChain([throwing, staticKeys([KEY])]);
    expect(await chain.authenticate(clientRequest({ "x-api-key": KEY }))).toMatchObject({
      ok: true,
    });
  });

  it("rejects with AbortedError when the caller aborts, and stops the providers", async () => {
    const { provider, seen } = stalling();
    const chain = createAuthChain([provider]);
    const caller = new AbortController();
    const decision = chain.authenticate(clientRequest({ "x-api-key": KEY }), {
      signal: caller.signal,
    });
    caller.abort();
    await expect(decision).rejects.toSatisfy((e) => AbortedError.isInstance(e));
    expect(seen.signal?.aborted).toBe(true);
    await expect(chain.authenticate(clientRequest(), { signal: caller.signal })).rejects.toSatisfy(
      (e) => AbortedError.isInstance(e),
    );
  });

  it("closes every provider, even after one fails to", () => {
    const closed: string[] = [];
    const chain = createAuthChain([
      { ...refusing, name: "a", close: () => closed.push("a") },
      {
        ...refusing,
        name: "b",
        close: () => {
          throw new Error("nope");
        },
      },
      { ...refusing, name: "c", close: () => closed.push("c") },
    ]);
    chain.close();
    expect(closed).toEqual(["a", "c"]);
  });
});
