import { describe, expect, it } from "vitest";
import { generationParamFields, generationParamsSchema, SAMPLING_PARAM_KEYS } from "./params.js";

describe("generationParamsSchema", () => {
  it("is OpenAI's fields and bounds, every one optional", () => {
    expect(generationParamsSchema.parse({})).toEqual({});
    const params = {
      temperature: 2,
      stop: ["a", "b", "c", "d"],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: { type: "json_schema", json_schema: { name: "x" } },
    };
    expect(generationParamsSchema.parse(params)).toEqual(params);
    for (const bad of [
      { temperature: 2.1 },
      { top_p: -0.1 },
      { max_tokens: 0 },
      { stop: ["a", "b", "c", "d", "e"] },
      { tool_choice: "sometimes" },
      { top_logprobs: 21 },
    ])
      expect(generationParamsSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it("passes through every key but the tool ones and n", () => {
    const all = Object.keys(generationParamFields);
    expect([...SAMPLING_PARAM_KEYS].sort()).toEqual(
      all.filter((key) => !["tool_choice", "parallel_tool_calls", "n"].includes(key)).sort(),
    );
    expect(SAMPLING_PARAM_KEYS).toContain("temperature");
  });
});
