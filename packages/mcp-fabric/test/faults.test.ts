import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mcpTestServerCommand } from "@aiproxy/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMcpFabric, type McpFabric } from "../src/index.js";
import { isAlive, json, tempDir, text, waitUntil } from "./helpers.js";

const faults = mcpTestServerCommand("faults");

let dir: ReturnType<typeof tempDir>;
let log: string;
let fabric: McpFabric;

function logLines(): string[] {
  try {
    return readFileSync(log, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/** Resolves once the fault server has logged `line`: the event a test waits on, not a delay. */
function seen(line: string): Promise<void> {
  return waitUntil(() => logLines().includes(line));
}

beforeEach(async () => {
  dir = tempDir();
  log = join(dir.path, "fault.log");
  writeFileSync(log, "");
  fabric = createMcpFabric({ restart: { initialDelayMs: 20, maxDelayMs: 100 } });
  await fabric.set({ name: "faults", transport: "stdio", ...faults, env: { FAULT_LOG: log } });
});

afterEach(async () => {
  await fabric.close();
  dir.remove();
});

describe("one stdio session", () => {
  it("starts lazily, once, for concurrent first callers", async () => {
    expect(fabric.status("faults")).toMatchObject({ state: "idle", restarts: 0, toolCount: 0 });
    const pids = await Promise.all(
      Array.from({ length: 5 }, () => fabric.callTool("faults", "pid", {}).then(json<number>)),
    );
    expect(new Set(pids).size).toBe(1);
    const status = fabric.status("faults")!;
    expect(status).toMatchObject({ state: "ready", restarts: 0, pid: pids[0] });
  });

  it("runs 50 calls concurrently over one session, not one after another", async () => {
    const calls = Array.from({ length: 50 }, (_, i) =>
      fabric
        .callTool("faults", "hold", { tag: String(i) })
        .then(json<{ pid: number; startedAt: number; endedAt: number }>),
    );
    // Every call is held by the server at once; a queue would never get past the first.
    await waitUntil(() => logLines().filter((line) => line.startsWith("held ")).length === 50);
    expect(json(await fabric.callTool("faults", "release", {}))).toEqual({ released: 50 });
    const results = await Promise.all(calls);
    expect(new Set(results.map((r) => r.pid)).size).toBe(1);
    // Every call had started before any finished: they were all in flight at once.
    const lastStart = Math.max(...results.map((r) => r.startedAt));
    const firstEnd = Math.min(...results.map((r) => r.endedAt));
    expect(lastStart).toBeLessThan(firstEnd);
  });
});

describe("crashes", () => {
  it("fails a call in flight at once when the server is killed, and restarts on the next call", async () => {
    const firstPid = await fabric.callTool("faults", "pid", {}).then(json<number>);
    const pending = fabric.callTool("faults", "sleep", { ms: 30_000, tag: "killed" });
    await seen("started sleep killed");
    const killedAt = Date.now();
    process.kill(firstPid, "SIGKILL");
    const result = await pending;
    expect(Date.now() - killedAt).toBeLessThan(1_000);
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/closed the connection/);

    const secondPid = await fabric.callTool("faults", "pid", {}).then(json<number>);
    expect(secondPid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(fabric.status("faults")).toMatchObject({ state: "ready", restarts: 1, pid: secondPid });
    expect(fabric.status("faults")!.lastError).toMatch(/closed/);
  });

  it("fails every call in flight when a tool crashes the process", async () => {
    const sleepers = Array.from({ length: 3 }, (_, i) =>
      fabric.callTool("faults", "sleep", { ms: 30_000, tag: `s${i}` }),
    );
    for (let i = 0; i < 3; i++) await seen(`started sleep s${i}`);
    const crash = await fabric.callTool("faults", "crash", {});
    expect(crash.isError).toBe(true);
    for (const result of await Promise.all(sleepers)) expect(result.isError).toBe(true);
    expect(json<number>(await fabric.callTool("faults", "pid", {}))).toBeGreaterThan(0);
  });
});

describe("timeouts and cancellation", () => {
  it("times out a hanging tool and the server sees the cancellation", async () => {
    const result = await fabric.callTool("faults", "hang", {}, { timeoutMs: 200 });
    expect(result).toMatchObject({ isError: true });
    expect(text(result)).toMatch(/timed out after 200 ms/);
    await waitUntil(() => logLines().includes("cancelled hang"));
    // The session survives a timeout.
    expect(fabric.status("faults")!.state).toBe("ready");
  });

  it("uses the server's timeoutMs by default", async () => {
    await fabric.set({
      name: "faults",
      transport: "stdio",
      ...faults,
      env: { FAULT_LOG: log },
      timeoutMs: 150,
    });
    const result = await fabric.callTool("faults", "hang", {});
    expect(text(result)).toMatch(/timed out after 150 ms/);
  });

  it("rejects on abort and sends notifications/cancelled", async () => {
    await fabric.callTool("faults", "pid", {});
    const controller = new AbortController();
    const pending = fabric.callTool(
      "faults",
      "sleep",
      { ms: 30_000, tag: "aborted" },
      {
        signal: controller.signal,
      },
    );
    await seen("started sleep aborted");
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: "aborted" });
    await waitUntil(() => logLines().includes("cancelled sleep aborted"));
  });
});

describe("results", () => {
  it("caps a huge result while converting it", async () => {
    const small = createMcpFabric({ maxResultChars: 1_000 });
    try {
      await small.set({ name: "faults", transport: "stdio", ...faults });
      const result = await small.callTool("faults", "huge", { bytes: 500_000 });
      expect(result.isError).toBe(false);
      expect(text(result)).toMatch(/^x{1000}\n\[truncated: 499000 more characters\]$/);
    } finally {
      await small.close();
    }
  });

  it("fails only the call whose result is over the byte cap; the session and other calls carry on", async () => {
    const pid = await fabric.callTool("faults", "pid", {}).then(json<number>);
    const before = fabric.callTool("faults", "hold", { tag: "before" });
    await seen("held before");
    // 50 MB, well over the default 10 MiB cap; the SDK's own reader would drop the connection.
    const huge = fabric.callTool("faults", "huge", { bytes: 50 * 1024 * 1024 });
    const after = fabric.callTool("faults", "hold", { tag: "after" });
    await seen("held after");
    const result = await huge;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/result larger than 10485760 bytes/);
    // Calls started before and after the huge one are still in flight on the same process.
    expect(fabric.status("faults")).toMatchObject({ state: "ready", pid, restarts: 0 });
    expect(json(await fabric.callTool("faults", "release", {}))).toEqual({ released: 2 });
    for (const held of await Promise.all([before, after])) {
      expect(json<{ pid: number }>(held).pid).toBe(pid);
    }
    expect(await fabric.callTool("faults", "pid", {}).then(json<number>)).toBe(pid);
  });

  it("applies maxMessageBytes", async () => {
    const small = createMcpFabric({ maxMessageBytes: 100_000 });
    try {
      await small.set({ name: "faults", transport: "stdio", ...faults });
      const pid = await small.callTool("faults", "pid", {}).then(json<number>);
      const over = await small.callTool("faults", "huge", { bytes: 100_001 });
      expect(text(over)).toMatch(/result larger than 100000 bytes/);
      const under = await small.callTool("faults", "huge", { bytes: 90_000 });
      expect(text(under)).toHaveLength(90_000);
      expect(await small.callTool("faults", "pid", {}).then(json<number>)).toBe(pid);
    } finally {
      await small.close();
    }
  });

  it("marks a tool's own error", async () => {
    const result = await fabric.callTool("faults", "fail", { message: "nope" });
    expect(result).toEqual({ content: "nope", isError: true });
  });

  it("turns an unknown server or tool into a tool error", async () => {
    expect((await fabric.callTool("nope", "pid", {})).isError).toBe(true);
    const result = await fabric.callTool("faults", "no_such_tool", {});
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/no_such_tool/);
  });
});

describe("tools/list_changed", () => {
  it("refreshes the tool list", async () => {
    const before = await fabric.listTools("faults");
    expect(before.map((t) => t.name)).not.toContain("extra_tool");
    await fabric.callTool("faults", "add_tool", { name: "extra_tool" });
    await waitUntil(() => fabric.status("faults")!.toolCount === before.length + 1);
    const after = await fabric.listTools("faults");
    expect(after.map((t) => t.name)).toContain("extra_tool");
    expect(text(await fabric.callTool("faults", "extra_tool", {}))).toBe('"extra_tool"');
  });
});

describe("environment", () => {
  it("does not pass the gateway's environment to a stdio child", async () => {
    process.env.OPENAI_API_KEY = "sk-test-secret-of-the-gateway";
    try {
      await fabric.set({
        name: "faults",
        transport: "stdio",
        ...faults,
        env: { FAULT_LOG: log, OWN_VAR: "mine" },
      });
      expect(json(await fabric.callTool("faults", "env", { name: "OPENAI_API_KEY" }))).toBeNull();
      expect(json(await fabric.callTool("faults", "env", { name: "OWN_VAR" }))).toBe("mine");
      expect(json(await fabric.callTool("faults", "env", { name: "PATH" }))).toBe(process.env.PATH);
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
  });
});

describe("shutdown", () => {
  it("leaves no child after close()", async () => {
    const pid = json<number>(await fabric.callTool("faults", "pid", {}));
    expect(isAlive(pid)).toBe(true);
    await fabric.close();
    expect(isAlive(pid)).toBe(false);
    expect(fabric.status()).toEqual([]);
  });

  it("kills a child that ignores stdin close and SIGTERM", async () => {
    await fabric.set({
      name: "stubborn",
      transport: "stdio",
      ...faults,
      env: { FAULT_STUBBORN: "1" },
    });
    const pid = json<number>(await fabric.callTool("stubborn", "pid", {}));
    await fabric.close();
    expect(isAlive(pid)).toBe(false);
  });

  it("closes a server that is still starting", async () => {
    const listing = fabric.listTools("faults");
    // The start has begun (the child is being spawned and initialized) and not finished.
    expect(fabric.status("faults")!.state).toBe("connecting");
    await fabric.close();
    await listing.catch(() => {});
    expect(fabric.status()).toEqual([]);
  });
});
