import { describe, expect, it } from "vitest";
import { withoutPinned } from "./schema.js";

describe("withoutPinned", () => {
  const schema = {
    type: "object",
    properties: { repo: { type: "string" }, title: { type: "string" } },
    required: ["repo", "title"],
    additionalProperties: false,
  };

  it("removes pinned properties from properties and required", () => {
    expect(withoutPinned(schema, { repo: "acme/app" })).toEqual({
      type: "object",
      properties: { title: { type: "string" } },
      required: ["title"],
      additionalProperties: false,
    });
    // The tool's own schema is not changed.
    expect(schema.required).toEqual(["repo", "title"]);
  });

  it("returns the schema as is without pins", () => {
    expect(withoutPinned(schema, {})).toBe(schema);
  });

  it("copes with a schema without properties", () => {
    expect(withoutPinned({ type: "object" }, { a: 1 })).toEqual({ type: "object" });
  });
});
