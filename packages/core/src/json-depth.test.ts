import { describe, expect, it } from "vitest";
import { findTooDeep, JSON_PATH_MAX_CHARS } from "./json-depth.js";

/** `{ properties: { a: { properties: { a: ... } } } }`, built without recursion. */
function nestedObjects(levels: number): unknown {
  let value: unknown = { type: "string" };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

function nestedArrays(levels: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

describe("findTooDeep", () => {
  it("accepts scalars and values exactly at the limit", () => {
    expect(findTooDeep("x", 0)).toBeUndefined();
    expect(findTooDeep(null, 0)).toBeUndefined();
    expect(findTooDeep(nestedObjects(64), 64)).toBeUndefined();
    expect(findTooDeep(nestedArrays(64), 64)).toBeUndefined();
  });

  it("names the first container one level past the limit", () => {
    expect(findTooDeep(nestedObjects(3), 2)).toBe("$.a.a");
    expect(findTooDeep(nestedArrays(3), 2)).toBe("$[0][0]");
    expect(findTooDeep({}, 0)).toBe("$");
  });

  it("walks 5,000 and 100,000 levels of objects and arrays without overflowing the stack", () => {
    for (const levels of [5_000, 100_000]) {
      expect(findTooDeep(nestedObjects(levels), 64)).toMatch(/^\$(\.a){64}$/);
      expect(findTooDeep(nestedArrays(levels), 64)).toMatch(/^\$(\[0\]){64}$/);
      // JSON.parse of the same depth is iterative too; the check handles its output.
      const text = `${"[".repeat(levels)}${"]".repeat(levels)}`;
      expect(findTooDeep(JSON.parse(text), levels)).toBeUndefined();
      expect(findTooDeep(JSON.parse(text), levels - 1)).toBeDefined();
    }
  });

  it("clips long paths to a bounded length", () => {
    const path = findTooDeep(nestedObjects(5_000), 4_000) as string;
    expect(path.length).toBeLessThanOrEqual(JSON_PATH_MAX_CHARS);
    expect(path.endsWith("…")).toBe(true);
  });

  it("reports the path in document order, through arrays and quoted keys", () => {
    const body = {
      model: "m",
      tools: [
        { type: "function", function: { name: "shallow", parameters: { type: "object" } } },
        {
          type: "function",
          function: { name: "deep", parameters: { properties: { "a-b": nestedObjects(10) } } },
        },
      ],
    };
    expect(findTooDeep(body, 6)).toBe('$.tools[1].function.parameters.properties["a-b"]');
    expect(findTooDeep(body, 20)).toBeUndefined();
  });

  it("clips a huge key inside the path", () => {
    const key = "k".repeat(10_000);
    const path = findTooDeep({ [key]: { x: {} } }, 2) as string;
    expect(path.length).toBeLessThan(100);
    expect(path.startsWith('$["kkk')).toBe(true);
  });

  it("handles wide values (200,000 shallow entries) and prototype-named keys", () => {
    const wide = Array.from({ length: 200_000 }, (_, i) => ({ i }));
    expect(findTooDeep(wide, 2)).toBeUndefined();
    expect(findTooDeep(wide, 1)).toBe("$[0]");
    const wideObject: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) wideObject[`k${i}`] = [i];
    wideObject.last = [[[]]];
    expect(findTooDeep(wideObject, 3)).toBe("$.last[0][0]");
    const proto = JSON.parse('{"__proto__": {"constructor": {"prototype": {}}}}');
    expect(findTooDeep(proto, 2)).toBe("$.__proto__.constructor");
  });

  it("terminates on a cyclic value", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(findTooDeep(cyclic, 10)).toBe(`$${".self".repeat(10)}`);
  });
});
