import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ToolResult } from "@aiproxy/core";

export { isAlive } from "@aiproxy/testkit";

const require = createRequire(import.meta.url);

/** `node <bin>` of an npm MCP server package, without going through a shell shim. */
export function npmServer(pkg: string, ...args: string[]): { command: string; args: string[] } {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> };
  const script = Object.values(bin)[0]!;
  return { command: process.execPath, args: [join(dirname(manifest), script), ...args] };
}

export function text(result: ToolResult): string {
  if (typeof result.content === "string") return result.content;
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

export function json<T = unknown>(result: ToolResult): T {
  if (result.isError) throw new Error(`tool error: ${text(result)}`);
  return JSON.parse(text(result)) as T;
}

export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), "mcp-fabric-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** server-everything in an HTTP mode on a free port; `stop()` kills it and waits for the exit. */
export async function startEverythingHttp(mode: "sse" | "streamableHttp", fixedPort?: number) {
  const port = fixedPort ?? (await freePort());
  const { command, args } = npmServer("@modelcontextprotocol/server-everything", mode);
  const child: ChildProcess = spawn(command, args, {
    env: { PATH: process.env.PATH ?? "", PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/listening on port|running on port/i.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", () => {
      clearTimeout(timer);
      reject(new Error(`server exited: ${stderr}`));
    });
  });
  return {
    port,
    url: `http://127.0.0.1:${port}${mode === "sse" ? "/sse" : "/mcp"}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
