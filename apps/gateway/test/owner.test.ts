import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ownerOf } from "../src/responses/owner.js";

function request(key: string): Request {
  return new Request("http://gateway/v1/responses", {
    headers: { authorization: `Bearer ${key}` },
  });
}

describe("ownerOf", () => {
  it("is the sha256 of the provider and the credentials, as stored responses were keyed before", () => {
    const expected = createHash("sha256").update("keys").update("\0sk-one").digest("base64url");
    expect(ownerOf({ provider: "keys" }, request("sk-one"))).toBe(expected);
    // The second time comes from the cache: the same answer.
    expect(ownerOf({ provider: "keys" }, request("sk-one"))).toBe(expected);
  });

  it("tells keys and providers apart, also past the cache's bound", () => {
    const first = ownerOf({ provider: "keys" }, request("sk-first"));
    for (let i = 0; i < 3000; i++) ownerOf({ provider: "keys" }, request(`sk-${i}`));
    expect(ownerOf({ provider: "keys" }, request("sk-first"))).toBe(first);
    expect(ownerOf({ provider: "keys" }, request("sk-second"))).not.toBe(first);
    expect(ownerOf({ provider: "other" }, request("sk-first"))).not.toBe(first);
    expect(ownerOf(undefined, request("sk-first"))).not.toBe(first);
  });
});
