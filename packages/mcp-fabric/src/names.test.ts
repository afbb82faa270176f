import { describe, expect, it } from "vitest";
import { exposedName, exposedNames, type ToolRef } from "./names.js";

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

describe("exposedNames", () => {
  const byRef = (refs: ToolRef[]) => {
    const names = exposedNames(refs);
    return Object.fromEntries(refs.map((ref, i) => [`${ref.server}/${ref.tool}`, names[i]]));
  };

  it("keeps names that do not collide", () => {
    expect(
      exposedNames([
        { server: "a", tool: "x" },
        { server: "my.b", tool: "y" },
      ]),
    ).toEqual(["a__x", "my_b__y"]);
  });

  it("gives the same names whatever the discovery order", () => {
    const refs: ToolRef[] = [
      { server: "my.demo", tool: "add" },
      { server: "my_demo", tool: "add" },
      { server: "my-demo", tool: "add" },
      { server: "my demo", tool: "add" },
      { server: "s".repeat(70), tool: "add" },
      { server: "s".repeat(70), tool: "get_time" },
    ];
    const forward = byRef(refs);
    expect(byRef([...refs].reverse())).toEqual(forward);
    expect(byRef([refs[3]!, refs[0]!, refs[5]!, refs[1]!, refs[4]!, refs[2]!])).toEqual(forward);
    const names = Object.values(forward);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it("lets the tool already named so keep its name, and hashes the others", () => {
    const names = byRef([
      { server: "my.demo", tool: "add" },
      { server: "my_demo", tool: "add" },
    ]);
    expect(names["my_demo/add"]).toBe("my_demo__add");
    // The README's example: the same hash wherever and whenever it is listed.
    expect(names["my.demo/add"]).toBe("my_demo__add_02eba5");
  });

  it("does not rename a tool when another server joins with a colliding one", () => {
    const alone = exposedNames([
      { server: "my.demo", tool: "add" },
      { server: "x.y", tool: "z" },
    ]);
    const joined = exposedNames([
      { server: "my.demo", tool: "add" },
      { server: "x.y", tool: "z" },
      { server: "x_y", tool: "z" },
    ]);
    expect(joined.slice(0, 1)).toEqual(alone.slice(0, 1));
    expect(joined[2]).toBe("x_y__z");
  });

  it("stays within 64 characters when truncation makes names collide", () => {
    const long = "s".repeat(70);
    const names = exposedNames([
      { server: long, tool: "add" },
      { server: long, tool: "get_time" },
    ]);
    expect(names.every((name) => name.length === 64)).toBe(true);
    expect(names[0]).not.toBe(names[1]);
    expect(names[0]).toMatch(/^s{57}_[0-9a-f]{6}$/);
  });

  it("separates two raw names that are the same string", () => {
    const names = exposedNames([
      { server: "a__b", tool: "c" },
      { server: "a", tool: "b__c" },
    ]);
    expect(names[0]).not.toBe(names[1]);
    expect(
      exposedNames([
        { server: "a", tool: "b__c" },
        { server: "a__b", tool: "c" },
      ]),
    ).toEqual([...names].reverse());
  });
});
