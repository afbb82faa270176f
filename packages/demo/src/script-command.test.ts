import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { builtScriptCommand } from "./script-command.js";

describe("builtScriptCommand", () => {
  const root = mkdtempSync(join(tmpdir(), "demo-script-"));
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "@x/pkg" }));
  mkdirSync(join(root, "dist", "sub"), { recursive: true });
  writeFileSync(join(root, "dist", "sub", "a.js"), "");
  mkdirSync(join(root, "src", "deep"), { recursive: true });
  // An inner package.json of another name is walked past.
  writeFileSync(join(root, "src", "package.json"), JSON.stringify({ name: "other" }));
  const from = pathToFileURL(join(root, "src", "deep", "caller.ts")).href;
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("runs the named package's built script with the current Node", () => {
    expect(builtScriptCommand("@x/pkg", from, join("sub", "a.js"))).toEqual({
      command: process.execPath,
      args: [join(root, "dist", "sub", "a.js")],
    });
  });

  it("names the build to run when the script is not built", () => {
    expect(() => builtScriptCommand("@x/pkg", from, "b.js")).toThrow(
      `@x/pkg: ${join(root, "dist", "b.js")} is missing; run \`pnpm --filter @x/pkg build\``,
    );
  });

  it("fails when no package of that name is above", () => {
    expect(() => builtScriptCommand("@x/none", from, "a.js")).toThrow(
      "@x/none: package root not found",
    );
  });
});
