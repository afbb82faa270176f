import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
  /**
   * The first log line, logged already or to come, that `match` accepts: the
   * event itself, for lines that trail a response. Rejects if the process
   * ends first, or after `timeoutMs` (default 5000).
   */
  waitForLog(
    match: (entry: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Raw stdout and stderr, for secret-leak checks. */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /** A config object (written to a temp YAML file) or the path of one. */
  config: Record<string, unknown> | string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** The built CLI as a real process on a free port; resolves once it listens. */
export async function startGatewayProcess(options: StartOptions): Promise<GatewayProcess> {
  let configPath: string;
  if (typeof options.config === "string") configPath = options.config;
  else {
    const dir = mkdtempSync(join(tmpdir(), "aiproxy-e2e-"));
    configPath = join(dir, "config.yaml");
    writeFileSync(configPath, stringify(options.config));
  }
  const child = spawn(
    process.execPath,
    [CLI, "--config", configPath, "--port", "0", ...(options.args ?? [])],
    {
      cwd: options.cwd ?? REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        LOG_LEVEL: "debug",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: Record<string, unknown>[] = [];
  const logListeners = new Set<(entry: Record<string, unknown>) => void>();
  let raw = "";
  let buffered = "";
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      raw += chunk;
    });
    child.stdout?.on("data", (chunk: string) => {
      raw += chunk;
      buffered += chunk;
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf("\n");
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          for (const listener of [...logListeners]) listener(entry);
          if (typeof entry.url === "string" && String(entry.msg).startsWith("aiproxy listening"))
            resolve(entry.url);
        } catch {
          // not a log line
        }
      }
    });
    void exited.then((code) => reject(new Error(`gateway exited with ${code}:\n${raw}`)));
  });
  return {
    url,
    child,
    logs,
    output: () => raw,
    waitForLog(match, timeoutMs = 5_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const listener = (entry: Record<string, unknown>) => {
          if (!match(entry)) return;
          done();
          resolve(entry);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching log line within ${timeoutMs} ms:\n${raw}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          logListeners.delete(listener);
        };
        logListeners.add(listener);
        // "close", not "exit": the last lines may still be in the pipe at exit.
        child.once("close", () => {
          if (!logListeners.has(listener)) return;
          done();
          reject(new Error(`gateway exited before a matching log line:\n${raw}`));
        });
      });
    },
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
