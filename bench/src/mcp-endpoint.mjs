// The gateway's MCP endpoint against the same MCP server called directly:
// server-everything's `echo` over stdio with the SDK client, then through
// `/mcp` (streamable HTTP) with the SDK client. Targets (issue 16): at most
// 1 ms more p50 at 1 caller, and at least 80% of the direct throughput with
// 64 concurrent callers. Usage: node src/mcp-endpoint.mjs [--duration 5]
// (after `pnpm exec turbo run build --filter=@aiproxy/gateway...`). Prints the
// figures and a verdict per target as JSON; not part of `pnpm bench` yet.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureToolCalls } from "./lib/mcp-direct.mjs";
import { startServer } from "./lib/procs.mjs";

const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
const EVERYTHING = join(
  BENCH,
  "node_modules",
  "@modelcontextprotocol",
  "server-everything",
  "dist",
  "index.js",
);
const { values: flags } = parseArgs({
  options: { duration: { type: "string", default: "5" }, warmup: { type: "string", default: "2" } },
});
const durationS = Number(flags.duration);
const warmupS = Number(flags.warmup);
const args = { message: "hello" };

const work = mkdtempSync(join(tmpdir(), "aiproxy-bench-mcp-"));
const configFile = join(work, "config.json");
writeFileSync(
  configFile,
  JSON.stringify({
    backends: [{ name: "d", kind: "demo" }],
    mcp_servers: [
      { name: "everything", transport: "stdio", command: process.execPath, args: [EVERYTHING] },
    ],
  }),
);
const gateway = await startServer({
  name: "gateway",
  script: join(BENCH, "src", "servers", "gateway.mjs"),
  args: [configFile],
});
const results = {};
try {
  for (const concurrency of [1, 64]) {
    const direct = await measureToolCalls(
      { command: process.execPath, args: [EVERYTHING] },
      { tool: "echo", args, concurrency, durationS, warmupS },
    );
    const viaGateway = await measureToolCalls(
      { url: `${gateway.url}/mcp` },
      {
        tool: "everything__echo",
        args,
        concurrency,
        durationS,
        warmupS,
        pids: [gateway.child.pid],
      },
    );
    results[concurrency] = { direct, gateway: viaGateway };
  }
} finally {
  await gateway.stop();
}
const one = results[1];
const many = results[64];
const addedP50 = one.gateway.p50 - one.direct.p50;
const share = many.gateway.rps / many.direct.rps;
const verdict = {
  "p50 added at 1 caller (ms)": {
    value: Number(addedP50.toFixed(3)),
    target: "<= 1",
    ok: addedP50 <= 1,
  },
  "throughput share at 64 callers": {
    value: Number(share.toFixed(3)),
    target: ">= 0.8",
    ok: share >= 0.8,
  },
};
process.stdout.write(`${JSON.stringify({ results, verdict }, null, 2)}\n`);
