import { describe, expect, it } from "vitest";
import { exposedName, uniqueNamer } from "./names.js";

describe("exposedName", () => {
  it("joins server and tool with a double underscore", () => {
    expect(exposedName("github", "create_issue")).toBe("github__create_issue");
  });

  it("replaces characters providers reject", () => {
    expect(exposedName("my.server", "get time/now")).toBe("my_server__get_time_now");
    expect(exposedName("ünï", "tool:1")).toBe("_n___tool_1");
  });

  it("truncates to 64 characters", () => {
    expect(exposedName("s".repeat(50), "t".repeat(50))).toHaveLength(64);
  });
});

describe("uniqueNamer", () => {
  it("suffixes later duplicates and stays within 64 characters", () => {
    const unique = uniqueNamer();
    expect(unique("a__b")).toBe("a__b");
    expect(unique("a__b")).toBe("a__b_2");
    expect(unique("a__b")).toBe("a__b_3");
    const long = "x".repeat(64);
    expect(unique(long)).toBe(long);
    expect(unique(long)).toBe(`${"x".repeat(62)}_2`);
  });

  it("does not hand out a name already taken by a suffixed one", () => {
    const unique = uniqueNamer();
    unique("a_2");
    unique("a");
    expect(unique("a")).toBe("a_3");
  });
});
