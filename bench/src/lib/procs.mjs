// Starting the servers under test as child processes and reading what the
// kernel says about them, so every target is measured the same way.
import { fork, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

const PROBE = new URL("../servers/probe.mjs", import.meta.url).href;
const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux the bench runs on

/**
 * @typedef {object} Server
 * @property {string} name
 * @property {string} url
 * @property {import("node:child_process").ChildProcess} child
 * @property {number} startedAt  performance.now() at spawn
 * @property {number} readyAt    performance.now() when it said (or was seen to be) ready
 * @property {() => Promise<void>} stop
 */

/**
 * The node flags the gateway ships with: those of the Dockerfile's `CMD`
 * (between `node` and the CLI), so the bench measures the gateway as it is
 * run, and a change of them shows in the next run.
 * @param {string} dockerfile
 * @returns {string[]}
 */
export function shippedNodeFlags(dockerfile) {
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(readFileSync(dockerfile, "utf8"));
  const words = cmd ? JSON.parse(/** @type {string} */ (cmd[1])) : [];
  const cli = words.findIndex((/** @type {string} */ word) => word.endsWith("cli.js"));
  if (words[0] !== "node" || cli < 1)
    throw new Error(`no \`CMD ["node", ..., "<cli.js>"]\` in ${dockerfile}`);
  return words.slice(1, cli);
}

/** A free TCP port on loopback, for servers that cannot be told to take port 0. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * Forks a Node script with the probe preloaded and waits until it is ready:
 * a JSON stdout line with `ready: true` and `url`, or, with `poll`, until that
 * URL answers.
 * @param {{ name: string, script: string, args?: string[], env?: NodeJS.ProcessEnv,
 *   execArgv?: string[], url?: string, poll?: string, timeoutMs?: number, stopTimeoutMs?: number }} options
 *   `stopTimeoutMs`: how long `stop()` waits after SIGTERM before SIGKILL (a `--cpu-prof` process writes its profile then).
 * @returns {Promise<Server>}
 */
export async function startServer(options) {
  const startedAt = performance.now();
  const child = fork(options.script, options.args ?? [], {
    env: { ...process.env, ...options.env },
    execArgv: ["--import", PROBE, ...(options.execArgv ?? [])],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const stderr = [];
  child.stderr?.on("data", (chunk) => {
    stderr.push(String(chunk));
    if (stderr.length > 50) stderr.shift();
  });
  const exited = new Promise((_, reject) =>
    child.once("exit", (code) =>
      reject(new Error(`${options.name} exited (${code}) before ready:\n${stderr.join("")}`)),
    ),
  );
  exited.catch(() => {});
  const timeout = options.timeoutMs ?? 30_000;
  const ready = options.poll
    ? pollUntilUp(options.poll, timeout).then(() => /** @type {string} */ (options.url))
    : readyLine(child, timeout);
  let url;
  try {
    url = await Promise.race([ready, exited]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const readyAt = performance.now();
  child.stdout?.resume();
  return {
    name: options.name,
    url,
    child,
    startedAt,
    readyAt,
    stop: () => stopChild(child, options.stopTimeoutMs),
  };
}

/** @param {import("node:child_process").ChildProcess} child @param {number} timeoutMs */
function readyLine(child, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no ready line")), timeoutMs);
    const lines = createInterface({
      input: /** @type {import("node:stream").Readable} */ (child.stdout),
    });
    lines.on("line", (line) => {
      try {
        const message = JSON.parse(line);
        if (message.ready || /listening/.test(message.msg ?? "")) {
          clearTimeout(timer);
          lines.close();
          resolve(message.url);
        }
      } catch {
        // not a JSON line
      }
    });
  });
}

/** @param {string} url @param {number} timeoutMs */
export async function pollUntilUp(url, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. @param {import("node:child_process").ChildProcess} child */
export function stopChild(child, graceMs = 1000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.kill("SIGTERM");
  });
}

/** Spawns a non-Node (or non-forked) process and waits for a port to accept. */
export async function startCommand({ name, command, args, env, poll, url }) {
  const startedAt = performance.now();
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: "ignore" });
  await pollTcp(poll, 20_000);
  return { name, url, child, startedAt, readyAt: performance.now(), stop: () => stopChild(child) };
}

/** @param {number} port @param {number} timeoutMs */
async function pollTcp(port, timeoutMs) {
  const { connect } = await import("node:net");
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`port ${port} never opened`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * CPU time (user + system, ms) and resident memory (MB) of one process, from /proc.
 * @param {number} pid
 */
export function procStats(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuMs, rssMb: rssKb / 1024 };
  } catch {
    // Unreadable (the process is gone): no figure, rather than a zero that makes a CPU delta negative.
    return { cpuMs: Number.NaN, rssMb: Number.NaN };
  }
}

let probeIds = 0;
/**
 * Asks a forked server's probe for its event-loop delay (and resets it).
 * @param {import("node:child_process").ChildProcess} child
 * @param {"probe:read" | "probe:reset"} type
 * @returns {Promise<any>}
 */
export function probe(child, type) {
  const id = ++probeIds;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("message", onMessage);
      reject(new Error(`probe ${type} timed out`));
    }, 10_000);
    const onMessage = (/** @type {any} */ message) => {
      if (message?.id !== id) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(message);
    };
    child.on("message", onMessage);
    child.send({ type, id });
  });
}
