import { describe, expect, it } from "vitest";
import { nextOf } from "../src/next-of.js";

describe("nextOf", () => {
  it("passes a step through and turns a synchronous throw into a rejection", async () => {
    const steps: AsyncIterator<number> = {
      next: () => Promise.resolve({ done: false, value: 1 }),
    };
    await expect(nextOf(steps)).resolves.toEqual({ done: false, value: 1 });
    const broken: AsyncIterator<number> = {
      next: () => {
        throw new Error("broken iterator");
      },
    };
    const pending = nextOf(broken);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toThrow("broken iterator");
  });
});
