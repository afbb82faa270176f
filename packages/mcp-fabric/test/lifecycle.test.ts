import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { mcpTestServerCommand } from "@aiproxy/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { McpFabric } from "../src/index.js";
import { isAlive, json, tempDir, text, waitUntil } from "./helpers.js";

const faults = mcpTestServerCommand("faults");
/** A server that dies before answering `initialize`. */
const dying = {
  transport: "stdio" as const,
  command: process.execPath,
  args: ["-e", "process.stderr.write('boom: no config'); process.exit(3)"],
};

let fabric: McpFabric;
afterEach(() => fabric.close());

describe("failed starts", () => {
  it("backs off, then opens the breaker and says why", async () => {
    fabric = new McpFabric({
      restart: { initialDelayMs: 50, maxDelayMs: 50, breakerThreshold: 3, breakerResetMs: 60_000 },
    });
    await fabric.set({ name: "dying", ...dying });

    await expect(fabric.listTools("dying")).rejects.toThrow(/failed to start/);
    expect(fabric.status("dying")).toMatchObject({ state: "failed", restarts: 0 });
    // The child's stderr explains the failure to the operator.
    expect(fabric.status("dying")!.lastError).toMatch(/failed to start.*stderr: boom: no config/);
    // Within the backoff window nothing is spawned: the call fails fast.
    const fast = await fabric.callTool("dying", "anything", {});
    expect(text(fast)).toMatch(/unavailable: restarting; next attempt/);

    for (let attempt = 2; attempt <= 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      await expect(fabric.listTools("dying")).rejects.toThrow(/failed to start/);
    }
    const status = fabric.status("dying")!;
    expect(status).toMatchObject({ state: "breaker-open", restarts: 2, toolCount: 0 });
    expect(status.lastError).toMatch(/boom: no config/);
    const withheld = await fabric.callTool("dying", "anything", {});
    expect(withheld.isError).toBe(true);
    expect(text(withheld)).toMatch(/breaker open/);
  });

  it("tries once more after breakerResetMs and recovers", async () => {
    const dir = tempDir();
    const marker = join(dir.path, "failed-once");
    // Fails its first start, then serves: a server that needed a moment (or an operator).
    const script = `const fs = require("node:fs");
      if (!fs.existsSync(process.env.MARKER)) { fs.writeFileSync(process.env.MARKER, ""); process.exit(3); }
      import(process.env.SERVER);`;
    fabric = new McpFabric({ restart: { breakerThreshold: 1, breakerResetMs: 150 } });
    try {
      await fabric.set({
        name: "flaky",
        transport: "stdio",
        command: process.execPath,
        args: ["-e", script],
        env: { MARKER: marker, SERVER: pathToFileURL(faults.args[0]!).href },
      });
      await expect(fabric.listTools("flaky")).rejects.toThrow(/failed to start/);
      expect(fabric.status("flaky")!.state).toBe("breaker-open");
      await expect(fabric.listTools("flaky")).rejects.toThrow(/breaker open/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await fabric.listTools("flaky")).length).toBeGreaterThan(0);
      expect(fabric.status("flaky")).toMatchObject({ state: "ready", restarts: 1 });
    } finally {
      await fabric.close();
      dir.remove();
    }
  });

  it("reports a command that does not exist", async () => {
    fabric = new McpFabric();
    await fabric.set({ name: "missing", transport: "stdio", command: "/nonexistent/mcp-server" });
    await expect(fabric.listTools("missing")).rejects.toThrow(/ENOENT/);
    expect(fabric.status("missing")!.lastError).toMatch(/ENOENT/);
  });
});

describe("set and remove", () => {
  it("replaces a server without breaking a call in flight", async () => {
    fabric = new McpFabric();
    await fabric.set({ name: "s", transport: "stdio", ...faults });
    const oldPid = json<number>(await fabric.callTool("s", "pid", {}));
    const inFlight = fabric.callTool("s", "sleep", { ms: 400 });
    await new Promise((resolve) => setTimeout(resolve, 50));

    await fabric.set({ name: "s", transport: "stdio", ...faults, env: { V: "2" } });
    // New calls go to the new spec at once; the old process still serves its call.
    expect(json(await fabric.callTool("s", "env", { name: "V" }))).toBe("2");
    expect(isAlive(oldPid)).toBe(true);
    const result = await inFlight;
    expect(result.isError).toBe(false);
    expect(json<{ pid: number }>(result).pid).toBe(oldPid);
    await waitUntil(() => !isAlive(oldPid));
  });

  it("keeps the running connection when the spec is unchanged", async () => {
    fabric = new McpFabric();
    await fabric.set({ name: "s", transport: "stdio", ...faults });
    const pid = json<number>(await fabric.callTool("s", "pid", {}));
    await fabric.set({ name: "s", transport: "stdio", ...faults });
    expect(json<number>(await fabric.callTool("s", "pid", {}))).toBe(pid);
  });

  it("removes a server and stops its process", async () => {
    fabric = new McpFabric();
    await fabric.set({ name: "s", transport: "stdio", ...faults });
    const pid = json<number>(await fabric.callTool("s", "pid", {}));
    expect(fabric.names()).toEqual(["s"]);
    await fabric.remove("s");
    expect(fabric.has("s")).toBe(false);
    expect(isAlive(pid)).toBe(false);
    await expect(fabric.listTools("s")).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("close", () => {
  it("waits for replaced connections still draining", async () => {
    fabric = new McpFabric();
    await fabric.set({ name: "s", transport: "stdio", ...faults });
    const oldPid = json<number>(await fabric.callTool("s", "pid", {}));
    const inFlight = fabric.callTool("s", "sleep", { ms: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await fabric.set({ name: "s", transport: "stdio", ...faults, env: { V: "2" } });
    const newPid = json<number>(await fabric.callTool("s", "pid", {}));
    await fabric.close();
    expect(isAlive(oldPid)).toBe(false);
    expect(isAlive(newPid)).toBe(false);
    expect((await inFlight).isError).toBe(true);
  });
});
