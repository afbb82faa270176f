import { describe, expect, it } from "vitest";
import { addUsage, emptyUsage } from "./usage.js";

describe("addUsage", () => {
  it("sums the required counts", () => {
    const sum = addUsage(
      { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
      { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
    );
    expect(sum).toEqual({ promptTokens: 13, completionTokens: 7, totalTokens: 20 });
  });

  it("returns the first operand when the second is undefined", () => {
    const a = { promptTokens: 1, completionTokens: 2, totalTokens: 3 };
    expect(addUsage(a, undefined)).toBe(a);
  });

  it("keeps optional counts when any step reported them, treating absent as zero", () => {
    const sum = addUsage(
      { promptTokens: 10, completionTokens: 5, totalTokens: 15, cachedTokens: 4 },
      { promptTokens: 3, completionTokens: 2, totalTokens: 5, reasoningTokens: 7 },
    );
    expect(sum).toEqual({
      promptTokens: 13,
      completionTokens: 7,
      totalTokens: 20,
      cachedTokens: 4,
      reasoningTokens: 7,
    });
    expect(sum).not.toHaveProperty("cacheCreationTokens");
  });

  it("sums optional counts present on both sides", () => {
    const step = { ...emptyUsage(), cacheCreationTokens: 2, cachedTokens: 1 };
    expect(addUsage(step, step)).toMatchObject({ cacheCreationTokens: 4, cachedTokens: 2 });
  });

  it("does not mutate its operands", () => {
    const a = emptyUsage();
    addUsage(a, { promptTokens: 1, completionTokens: 1, totalTokens: 2, cachedTokens: 1 });
    expect(a).toEqual(emptyUsage());
  });
});
