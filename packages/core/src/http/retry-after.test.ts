import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "./retry-after.js";

const headers = (init: Record<string, string>) => new Headers(init);

describe("parseRetryAfter", () => {
  it("reads retry-after-ms as milliseconds", () => {
    expect(parseRetryAfter(headers({ "retry-after-ms": "1500" }))).toBe(1.5);
    expect(parseRetryAfter(headers({ "retry-after-ms": "0" }))).toBe(0);
  });

  it("prefers retry-after-ms over Retry-After", () => {
    expect(parseRetryAfter(headers({ "retry-after-ms": "250", "retry-after": "30" }))).toBe(0.25);
  });

  it("falls back to Retry-After when retry-after-ms is garbage or negative", () => {
    expect(parseRetryAfter(headers({ "retry-after-ms": "soon", "retry-after": "3" }))).toBe(3);
    expect(parseRetryAfter(headers({ "retry-after-ms": "-5", "retry-after": "4" }))).toBe(4);
  });

  it("reads Retry-After in (possibly fractional) seconds", () => {
    expect(parseRetryAfter(headers({ "retry-after": "7" }))).toBe(7);
    expect(parseRetryAfter(headers({ "retry-after": " 2.5 " }))).toBe(2.5);
    expect(parseRetryAfter(headers({ "retry-after": "0" }))).toBe(0);
  });

  it("reads Retry-After as an HTTP date relative to now", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    const later = new Date(now + 12_000).toUTCString();
    expect(parseRetryAfter(headers({ "retry-after": later }), now)).toBe(12);
  });

  it("clamps an HTTP date in the past to zero", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    const earlier = new Date(now - 60_000).toUTCString();
    expect(parseRetryAfter(headers({ "retry-after": earlier }), now)).toBe(0);
  });

  it("returns undefined when absent, blank, negative or garbage", () => {
    expect(parseRetryAfter(headers({}))).toBeUndefined();
    expect(parseRetryAfter(headers({ "retry-after": "   " }))).toBeUndefined();
    expect(parseRetryAfter(headers({ "retry-after": "-3" }))).toBeUndefined();
    expect(parseRetryAfter(headers({ "retry-after": "later, please" }))).toBeUndefined();
    expect(parseRetryAfter(headers({ "retry-after-ms": "nope" }))).toBeUndefined();
  });
});
