// The tool's own time: the same MCP server called directly with the MCP SDK
// client, with as many calls in flight as the load has connections.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { summarize } from "./load.mjs";
import { procStats } from "./procs.mjs";

/**
 * @param {{ command: string, args: string[] } | { url: string }} server
 * @param {{ tool: string, args: Record<string, unknown>, parallel?: number,
 *   concurrency: number, durationS: number, warmupS: number, warmupCalls?: number, pids?: number[] }} options
 *   `warmupCalls` (default 3,000): calls made before measuring, besides `warmupS`, so
 *   that a run at 1 caller measures code the JIT has optimized, as a serving gateway's is.
 *   `pids`: processes whose CPU per call is reported (`cpuPerCallMs`); a stdio
 *   server's own CPU per call is reported as `serverCpuPerCallMs`.
 */
/** `calls` calls, 16 at a time, or as many as 20 s allow. @param {() => Promise<unknown>} call */
async function warmUp(call, calls) {
  let left = calls;
  const until = performance.now() + 20_000;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (left-- > 0 && performance.now() < until) await call();
    }),
  );
}

export async function measureToolCalls(server, options) {
  const client = new Client({ name: "aiproxy-bench", version: "0.0.0" });
  const transport =
    "url" in server
      ? new StreamableHTTPClientTransport(new URL(server.url))
      : new StdioClientTransport({ command: server.command, args: server.args, stderr: "ignore" });
  await client.connect(transport);
  try {
    const parallel = options.parallel ?? 1;
    const call = () =>
      Promise.all(
        Array.from({ length: parallel }, () =>
          client.callTool({ name: options.tool, arguments: options.args }),
        ),
      );
    /** @param {number} seconds @param {number[] | null} into */
    const loop = async (seconds, into) => {
      const until = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          while (performance.now() < until) {
            const start = performance.now();
            await call();
            into?.push(performance.now() - start);
          }
        }),
      );
    };
    await loop(options.warmupS, null);
    await warmUp(call, options.warmupCalls ?? 3000);
    /** @type {number[]} */
    const latencies = [];
    const pids = options.pids ?? [];
    const serverPid = "pid" in transport ? transport.pid : null;
    const cpu = () => pids.reduce((sum, pid) => sum + procStats(pid).cpuMs, 0);
    const serverCpu = () => (serverPid ? procStats(serverPid).cpuMs : 0);
    const [cpuBefore, serverBefore] = [cpu(), serverCpu()];
    const started = performance.now();
    await loop(options.durationS, latencies);
    const elapsedS = (performance.now() - started) / 1000;
    const calls = latencies.length || Number.NaN;
    return {
      ...summarize(latencies),
      rps: latencies.length / elapsedS,
      cpuPerCallMs: pids.length ? (cpu() - cpuBefore) / calls : null,
      serverCpuPerCallMs: serverPid ? (serverCpu() - serverBefore) / calls : null,
    };
  } finally {
    await client.close();
  }
}
