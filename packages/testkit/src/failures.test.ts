import { describe, expect, it } from "vitest";
import { failureOf, streamUntilFailure } from "./failures.js";

async function* failingAfter(items: number[]): AsyncGenerator<number> {
  yield* items;
  throw new Error("cut");
}

async function* ending(): AsyncGenerator<number> {
  yield 1;
}

describe("failureOf", () => {
  it("returns the rejection, and fails for a promise that resolves", async () => {
    const error = new Error("no");
    expect(await failureOf(Promise.reject(error))).toBe(error);
    await expect(failureOf(Promise.resolve(1))).rejects.toThrow("expected a rejection");
  });
});

describe("streamUntilFailure", () => {
  it("returns what was yielded (and kept) before the failure, and the failure", async () => {
    const { events, error } = await streamUntilFailure(failingAfter([1, 2, 3]), (n) => n !== 2);
    expect(events).toEqual([1, 3]);
    expect(error).toEqual(new Error("cut"));
  });

  it("fails for a stream that ends", async () => {
    await expect(streamUntilFailure(ending())).rejects.toThrow("expected the stream to fail");
  });
});
