import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mcpTestServerCommand } from "@aiproxy/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMcpFabric, type McpFabric } from "../src/index.js";
import { json, tempDir, text, waitUntil } from "./helpers.js";

const faults = mcpTestServerCommand("faults");
const demo = mcpTestServerCommand("demo");

let fabric: McpFabric;

beforeEach(async () => {
  fabric = createMcpFabric({ restart: { breakerThreshold: 1 } });
  await fabric.set({ name: "faults", transport: "stdio", ...faults, env: { SECRET_ZONE: "b" } });
  await fabric.set({ name: "demo", transport: "stdio", ...demo });
});

afterEach(() => fabric.close());

describe("Toolset", () => {
  it("exposes <server>__<tool> names and routes calls back", async () => {
    const toolset = fabric.toolset({ servers: ["demo", "faults"] });
    const tools = await toolset.list();
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(["demo__add", "demo__get_weather", "demo__get_time", "faults__sleep"]),
    );
    expect(tools.find((tool) => tool.name === "demo__add")).toMatchObject({
      server: "demo",
      tool: "add",
      description: "Adds two numbers.",
      inputSchema: { type: "object", required: ["a", "b"] },
    });
    expect(await toolset.call("demo__add", { a: 2, b: 3 })).toEqual({
      content: "5",
      isError: false,
    });
    const weather = json<{ city: string }>(
      await toolset.call("demo__get_weather", { city: "Oslo" }),
    );
    expect(weather.city).toBe("Oslo");
  });

  it("sanitizes names and suffixes collisions", async () => {
    await fabric.set({ name: "my.demo", transport: "stdio", ...demo });
    await fabric.set({ name: "my_demo", transport: "stdio", ...demo });
    const long = "s".repeat(70);
    await fabric.set({ name: long, transport: "stdio", ...demo });
    const toolset = fabric.toolset({ servers: ["my.demo", "my_demo", long] });
    const tools = await toolset.list();
    const names = tools.map((tool) => tool.name);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    // The tool whose raw name needs no sanitizing keeps it; the other gets a hash of its own name.
    expect(tools.find((tool) => tool.name === "my_demo__add")!.server).toBe("my_demo");
    const dotted = tools.find((tool) => tool.server === "my.demo" && tool.tool === "add")!;
    expect(dotted.name).toMatch(/^my_demo__add_[0-9a-f]{6}$/);
    // 70 characters of server name: every tool truncates to the same 64, so each is suffixed.
    const longOnes = tools.filter((tool) => tool.server === long);
    expect(new Set(longOnes.map((tool) => tool.name)).size).toBe(longOnes.length);
    expect(longOnes.every((tool) => tool.name.length === 64)).toBe(true);
    const add = longOnes.find((tool) => tool.tool === "add")!;
    expect(await toolset.call(add.name, { a: 1, b: 1 })).toMatchObject({ content: "2" });
    expect(await toolset.call(dotted.name, { a: 1, b: 2 })).toMatchObject({ content: "3" });

    // Another discovery order gives every tool the same exposed name.
    const reordered = fabric.toolset({ servers: [long, "my_demo", "my.demo"] });
    const key = (tool: { server?: string; tool?: string }) => `${tool.server}/${tool.tool}`;
    const byTool = (list: typeof tools) =>
      Object.fromEntries(list.map((tool) => [key(tool), tool.name]));
    expect(byTool(await reordered.list())).toEqual(byTool(tools));
  });

  it("applies the allowlist, description overrides and pinned arguments", async () => {
    const toolset = fabric.toolset({
      servers: ["demo", "faults"],
      allowlist: ["demo__get_weather", "faults__env"],
      descriptions: { faults__env: "Reads the secret zone." },
      pinnedArguments: { faults__env: { name: "SECRET_ZONE" } },
    });
    const tools = await toolset.list();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["demo__get_weather", "faults__env"]);
    const env = tools.find((tool) => tool.name === "faults__env")!;
    expect(env.description).toBe("Reads the secret zone.");
    expect(env.inputSchema.properties).toEqual({});
    expect(env.inputSchema.required ?? []).not.toContain("name");
    // The model cannot override a pinned argument.
    expect(json(await toolset.call("faults__env", { name: "PATH" }))).toBe("b");
    const hidden = await toolset.call("demo__add", { a: 1, b: 2 });
    expect(hidden).toEqual({ content: 'Unknown tool "demo__add".', isError: true });
  });

  it("clips results to resultMaxChars", async () => {
    const toolset = fabric.toolset({ servers: ["faults"], resultMaxChars: 100 });
    const result = await toolset.call("faults__huge", { bytes: 5_000 });
    expect(text(result)).toBe(`${"x".repeat(100)}\n[truncated: 4900 more characters]`);
  });

  it("leaves out a server that cannot start, and reports it through status", async () => {
    await fabric.set({
      name: "broken",
      transport: "stdio",
      command: process.execPath,
      args: ["-e", "process.exit(1)"],
    });
    const toolset = fabric.toolset({ servers: ["broken", "demo", "unknown"] });
    const tools = await toolset.list();
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((tool) => tool.server === "demo")).toBe(true);
    expect(fabric.status("broken")).toMatchObject({ state: "breaker-open" });
    expect(fabric.status("broken")!.lastError).toMatch(/failed to start/);
  });

  it("uses a server replaced with set() on later calls", async () => {
    const toolset = fabric.toolset({ servers: ["faults"] });
    await toolset.list();
    expect(json(await toolset.call("faults__env", { name: "SECRET_ZONE" }))).toBe("b");
    await fabric.set({ name: "faults", transport: "stdio", ...faults, env: { SECRET_ZONE: "c" } });
    expect(json(await toolset.call("faults__env", { name: "SECRET_ZONE" }))).toBe("c");
  });

  it("rejects only on abort", async () => {
    const dir = tempDir();
    const log = join(dir.path, "fault.log");
    writeFileSync(log, "");
    try {
      await fabric.set({ name: "faults", transport: "stdio", ...faults, env: { FAULT_LOG: log } });
      const toolset = fabric.toolset({ servers: ["faults"] });
      await toolset.list();
      const controller = new AbortController();
      const pending = toolset.call("faults__hold", { tag: "t" }, { signal: controller.signal });
      // Aborted once the server holds the call, so the abort meets a call in flight.
      await waitUntil(() => readFileSync(log, "utf8").includes("held t\n"));
      controller.abort();
      await expect(pending).rejects.toMatchObject({ code: "aborted" });
      await waitUntil(() => readFileSync(log, "utf8").includes("cancelled hold t\n"));
      const aborted = new AbortController();
      aborted.abort();
      await expect(toolset.list({ signal: aborted.signal })).rejects.toMatchObject({
        code: "aborted",
      });
    } finally {
      dir.remove();
    }
  });

  it("drops a tool with an invalid definition, keeps the rest, and says so in the status", async () => {
    await fabric.set({
      name: "faults",
      transport: "stdio",
      ...faults,
      env: { FAULT_INVALID_TOOL: "1" },
    });
    const toolset = fabric.toolset({ servers: ["faults"] });
    const names = (await toolset.list()).map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["faults__pid", "faults__hold", "faults__env"]));
    expect(names).not.toContain("faults__no_input_schema");
    const status = fabric.status("faults")!;
    expect(status.toolCount).toBe(names.length);
    expect(status.skippedTools).toEqual([
      { name: "no_input_schema", reason: expect.stringMatching(/^inputSchema: /) },
    ]);
    expect(json<number>(await toolset.call("faults__pid", {}))).toBeGreaterThan(0);
  });
});
