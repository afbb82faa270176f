import { describe, expect, it } from "vitest";
import { apimanTrustedHeader, safeEqual, staticKeys } from "../src/index.js";
import { clientRequest } from "./helpers/apiman.js";

const context = (credentials: string[], headers: Record<string, string> = {}) => ({
  request: clientRequest(headers),
  credentials,
});

describe("safeEqual", () => {
  it("compares strings of any length without throwing", () => {
    expect(safeEqual("secret", "secret")).toBe(true);
    expect(safeEqual("secret", "secret2")).toBe(false);
    expect(safeEqual("secret", "secreT")).toBe(false);
    expect(safeEqual("", "")).toBe(true);
    expect(safeEqual("a", "a".repeat(10_000))).toBe(false);
    expect(safeEqual("ключ", "ключ")).toBe(true);
  });
});

describe("staticKeys", () => {
  const provider = staticKeys(["sk-alpha-0001", "", "sk-beta-0002"]);

  it("accepts any configured key", async () => {
    expect(await provider.authenticate(context(["sk-beta-0002"]))).toEqual({
      ok: true,
      provider: "static_keys",
      keyIndex: 2,
    });
    expect(await provider.authenticate(context(["wrong", "sk-alpha-0001"]))).toMatchObject({
      ok: true,
    });
  });

  it("says which key matched, by its index in the list given (blanks counted)", async () => {
    expect(await provider.authenticate(context(["wrong", "sk-alpha-0001"]))).toMatchObject({
      keyIndex: 0,
    });
    // Two good keys: the first credential (Bearer before X-API-Key) decides.
    expect(await provider.authenticate(context(["sk-beta-0002", "sk-alpha-0001"]))).toMatchObject({
      keyIndex: 2,
    });
    const duplicated = staticKeys(["k", "k"]);
    expect(await duplicated.authenticate(context(["k"]))).toMatchObject({ keyIndex: 0 });
  });

  it("refuses a prefix, an extension, another case and nothing", async () => {
    for (const credentials of [["sk-alpha"], ["sk-alpha-00011"], ["SK-ALPHA-0001"], []]) {
      expect(await provider.authenticate(context(credentials))).toEqual({
        ok: false,
        reason: "no configured key matches",
      });
    }
  });

  it("drops empty keys, so an empty credential matches nothing", async () => {
    expect(await provider.authenticate(context([""]))).toMatchObject({ ok: false });
    expect(await staticKeys([""]).authenticate(context([""]))).toMatchObject({ ok: false });
  });
});

describe("apimanTrustedHeader", () => {
  const provider = apimanTrustedHeader({ header: "X-Apiman-Auth", secret: "s3cret-shared" });

  it("accepts the shared secret in the header, without any key", async () => {
    expect(await provider.authenticate(context([], { "x-apiman-auth": "s3cret-shared" }))).toEqual({
      ok: true,
      provider: "apiman_trusted_header",
    });
  });

  it("refuses a missing, empty or wrong header, and a key that equals the secret", async () => {
    for (const headers of [
      {},
      { "x-apiman-auth": "" },
      { "x-apiman-auth": "s3cret-share" },
    ] as Record<string, string>[]) {
      expect(await provider.authenticate(context([], headers))).toMatchObject({ ok: false });
    }
    expect(await provider.authenticate(context(["s3cret-shared"]))).toMatchObject({ ok: false });
  });

  it("refuses to be configured with an empty secret or an invalid header name", () => {
    expect(() => apimanTrustedHeader({ header: "X-Apiman-Auth", secret: "" })).toThrow(TypeError);
    expect(() => apimanTrustedHeader({ header: "bad header", secret: "s" })).toThrow(TypeError);
  });
});
