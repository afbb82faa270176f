import { describe, expect, it } from "vitest";
import { messageId } from "../src/anthropic/ids.js";
import { pooledRandomBytes } from "../src/random.js";

describe("pooledRandomBytes", () => {
  it("never hands out the same bytes twice, across refills of the pool", () => {
    const draws = Array.from({ length: 600 }, () => pooledRandomBytes(24).toString("hex"));
    expect(new Set(draws).size).toBe(draws.length);
    for (const draw of draws) expect(draw).toHaveLength(48);
  });

  it("serves a size larger than the pool", () => {
    const big = pooledRandomBytes(10_000);
    expect(big.length).toBe(10_000);
    expect(new Set(big).size).toBeGreaterThan(200);
  });
});

describe("messageId", () => {
  it("is msg_ and 24 base62 characters, distinct each time", () => {
    const ids = Array.from({ length: 300 }, () => messageId());
    for (const id of ids) expect(id).toMatch(/^msg_[0-9A-Za-z]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
