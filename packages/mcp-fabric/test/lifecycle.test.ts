import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { mcpTestServerCommand } from "@aiproxy/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMcpFabric, type McpFabric } from "../src/index.js";
import { isAlive, json, tempDir, text, waitUntil } from "./helpers.js";

const faults = mcpTestServerCommand("faults");
/** A server that dies before answering `initialize`. */
const dying = {
  transport: "stdio" as const,
  command: process.execPath,
  args: ["-e", "process.stderr.write('boom: no config'); process.exit(3)"],
};

let fabric: McpFabric;
afterEach(async () => {
  vi.useRealTimers();
  await fabric.close();
});

/** A fault log in a fresh temp dir, and a wait for a line in it: what the server has seen. */
function faultLog() {
  const dir = tempDir();
  const file = join(dir.path, "fault.log");
  writeFileSync(file, "");
  const lines = () => readFileSync(file, "utf8").split("\n");
  return {
    file,
    remove: dir.remove,
    seen: (line: string) => waitUntil(() => lines().includes(line)),
  };
}

describe("failed starts", () => {
  it("backs off, then opens the breaker and says why", async () => {
    // The fabric's own clock is the subject: only Date is faked, so processes and I/O run as usual.
    vi.useFakeTimers({ toFake: ["Date"] });
    fabric = createMcpFabric({
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
      // Just before the backoff ends the call still fails fast; just after it, a new start is tried.
      vi.advanceTimersByTime(49);
      expect(text(await fabric.callTool("dying", "anything", {}))).toMatch(/next attempt/);
      vi.advanceTimersByTime(11);
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
    vi.useFakeTimers({ toFake: ["Date"] });
    fabric = createMcpFabric({ restart: { breakerThreshold: 1, breakerResetMs: 150 } });
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
      vi.advanceTimersByTime(149);
      await expect(fabric.listTools("flaky")).rejects.toThrow(/breaker open/);
      vi.advanceTimersByTime(51);
      expect((await fabric.listTools("flaky")).length).toBeGreaterThan(0);
      expect(fabric.status("flaky")).toMatchObject({ state: "ready", restarts: 1 });
    } finally {
      await fabric.close();
      dir.remove();
    }
  });

  it("reports a command that does not exist", async () => {
    fabric = createMcpFabric();
    await fabric.set({ name: "missing", transport: "stdio", command: "/nonexistent/mcp-server" });
    await expect(fabric.listTools("missing")).rejects.toThrow(/ENOENT/);
    expect(fabric.status("missing")!.lastError).toMatch(/ENOENT/);
  });
});

describe("set and remove", () => {
  it("replaces a server without breaking a call in flight", async () => {
    const log = faultLog();
    try {
      fabric = createMcpFabric();
      await fabric.set({ name: "s", transport: "stdio", ...faults, env: { FAULT_LOG: log.file } });
      const oldPid = json<number>(await fabric.callTool("s", "pid", {}));
      // Held by the old process until the test releases it: in flight for as long as the test needs.
      const inFlight = fabric.callTool("s", "hold", { tag: "old" });
      await log.seen("held old");

      await fabric.set({
        name: "s",
        transport: "stdio",
        ...faults,
        env: { FAULT_LOG: log.file, V: "2" },
      });
      // New calls go to the new spec at once; the old process still serves its call.
      expect(json(await fabric.callTool("s", "env", { name: "V" }))).toBe("2");
      expect(isAlive(oldPid)).toBe(true);
      process.kill(oldPid, "SIGUSR2");
      const result = await inFlight;
      expect(result.isError).toBe(false);
      expect(json<{ pid: number }>(result).pid).toBe(oldPid);
      await waitUntil(() => !isAlive(oldPid));
    } finally {
      await fabric.close();
      log.remove();
    }
  });

  it("keeps the running connection when the spec is unchanged", async () => {
    fabric = createMcpFabric();
    await fabric.set({ name: "s", transport: "stdio", ...faults });
    const pid = json<number>(await fabric.callTool("s", "pid", {}));
    await fabric.set({ name: "s", transport: "stdio", ...faults });
    expect(json<number>(await fabric.callTool("s", "pid", {}))).toBe(pid);
  });

  it("removes a server and stops its process", async () => {
    fabric = createMcpFabric();
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
    const log = faultLog();
    try {
      fabric = createMcpFabric();
      await fabric.set({ name: "s", transport: "stdio", ...faults, env: { FAULT_LOG: log.file } });
      const oldPid = json<number>(await fabric.callTool("s", "pid", {}));
      const inFlight = fabric.callTool("s", "hold", { tag: "draining" });
      await log.seen("held draining");
      await fabric.set({
        name: "s",
        transport: "stdio",
        ...faults,
        env: { FAULT_LOG: log.file, V: "2" },
      });
      const newPid = json<number>(await fabric.callTool("s", "pid", {}));
      await fabric.close();
      expect(isAlive(oldPid)).toBe(false);
      expect(isAlive(newPid)).toBe(false);
      expect((await inFlight).isError).toBe(true);
    } finally {
      log.remove();
    }
  });
});
