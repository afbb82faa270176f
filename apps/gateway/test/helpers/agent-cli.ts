import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import type { CodexReport, HarnessJob, HarnessReport } from "./agent-cli-harness.js";

/**
 * The test side of agent-cli-harness.ts: whether a coding-agent CLI test can
 * run here, and running the harness for one job in a network namespace with
 * only loopback, so nothing the CLI does can leave the machine.
 */

const HARNESS = fileURLToPath(new URL("./agent-cli-harness.ts", import.meta.url));

export type Isolation = { ok: true } | { ok: false; reason: string };

/** Root with `unshare` and `ip`, and the CLI's native binary installed (linux-x64 only). */
export function probeIsolation(cli: string, binary: () => string, pkg: string): Isolation {
  if (process.platform !== "linux" || process.arch !== "x64")
    return { ok: false, reason: `${cli}'s native binary here is linux-x64 only` };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: "unshare -n needs root to make a loopback-only network namespace" };
  const probe = spawnSync("unshare", ["-n", "ip", "link", "set", "lo", "up"]);
  if (probe.status !== 0)
    return { ok: false, reason: `unshare -n failed: ${String(probe.stderr ?? probe.error)}` };
  try {
    binary();
  } catch {
    return { ok: false, reason: `${pkg} is not installed` };
  }
  return { ok: true };
}

const running = new Set<ChildProcess>();
afterAll(() => {
  // Each harness runs in its own process group: this ends it, the gateway, the MCP server and the CLI.
  for (const child of running)
    if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
});

/** Runs the harness for `job` (its job file written in `dir`) and returns its report; rejects unless it exits 0. */
export async function runInNamespace<R extends HarnessReport | CodexReport>(
  job: HarnessJob,
  dir: string,
): Promise<R> {
  const jobPath = join(dir, "job.json");
  writeFileSync(jobPath, JSON.stringify(job));
  const child = spawn(
    "unshare",
    [
      "-n",
      "bash",
      "-c",
      'ip link set lo up && exec "$@"',
      "harness",
      process.execPath,
      HARNESS,
      jobPath,
    ],
    { cwd: dirname(HARNESS), detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  running.delete(child);
  if (code !== 0) throw new Error(`the harness exited with ${code}:\n${output}`);
  return JSON.parse(readFileSync(job.reportPath, "utf8")) as R;
}

// biome-ignore lint/suspicious/noExplicitAny: request bodies of either wire, indexed freely.
type Body = Record<string, any>;

/** The text of every tool result in a request body, either wire. */
export function toolResultTexts(body: Body): string[] {
  const out: string[] = [];
  for (const message of body.messages ?? []) {
    if (message.role === "tool") out.push(textOf(message.content));
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content)
      if (block.type === "tool_result") out.push(textOf(block.content));
  }
  return out;
}

export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
}
