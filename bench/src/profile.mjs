// CPU profile of the gateway under load on one path: `node src/profile.mjs
// [json|stream|mcp] [seconds] [1]`. Starts a gateway with --cpu-prof and
// drives 64 connections at the chat surface (JSON or streamed, against the
// scripted upstream) or 64 echo calls in flight through /mcp (one with a
// trailing `1`), stops the gateway (which writes the profile to
// bench/profiles/<mode>/) and prints the top self-time functions.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runLoad } from "./lib/load.mjs";
import { measureToolCalls } from "./lib/mcp-direct.mjs";
import { writePassConfig } from "./lib/pass-config.mjs";
import { shippedNodeFlags, startServer } from "./lib/procs.mjs";

const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
const SERVERS = join(BENCH, "src", "servers");
const mode = process.argv[2] ?? "json";
const seconds = Number(process.argv[3] ?? 10);
const dir = join(BENCH, "profiles", mode);
mkdirSync(dir, { recursive: true });

const gateway = mode === "mcp" ? await profileMcp() : await profileChat();
await gateway.stop();

/** The chat surface at 64 connections, JSON or streamed. */
async function profileChat() {
  const upstream = await startServer({ name: "upstream", script: join(SERVERS, "upstream.mjs") });
  const config = join(tmpdir(), `aiproxy-profile-${process.pid}.json`);
  writePassConfig(config, upstream.url);
  const gateway = await profiled(config);
  const result = await runLoad({
    url: gateway.url,
    body: {
      model: "pass",
      messages: [{ role: "user", content: "Say hello." }],
      stream: mode === "stream",
    },
    connections: 64,
    durationS: seconds,
    warmupS: 1,
    pids: [/** @type {number} */ (gateway.child.pid)],
  });
  process.stdout.write(
    `${mode}: ${result.rps.toFixed(0)} req/s, ${result.cpuPerRequestMs?.toFixed(3)} ms CPU/req (profiler on)\n`,
  );
  return { stop: () => gateway.stop().then(() => upstream.stop()) };
}

/** server-everything's echo through `/mcp` with 64 calls in flight (`mcp`), or one (`mcp1`). */
async function profileMcp() {
  const everything = join(
    BENCH,
    "node_modules",
    "@modelcontextprotocol",
    "server-everything",
    "dist",
    "index.js",
  );
  const config = join(tmpdir(), `aiproxy-profile-${process.pid}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      backends: [{ name: "d", kind: "demo" }],
      mcp_servers: [
        { name: "ev", transport: "stdio", command: process.execPath, args: [everything, "stdio"] },
      ],
    }),
  );
  const gateway = await profiled(config);
  const result = await measureToolCalls(
    { url: `${gateway.url}/mcp` },
    {
      tool: "ev__echo",
      args: { message: "hello" },
      concurrency: process.argv[4] === "1" ? 1 : 64,
      durationS: seconds,
      warmupS: 1,
      pids: [/** @type {number} */ (gateway.child.pid)],
    },
  );
  process.stdout.write(
    `mcp: ${result.rps.toFixed(0)} calls/s, ${result.cpuPerCallMs?.toFixed(3)} ms CPU/call (profiler on)\n`,
  );
  return gateway;
}

/** @param {string} config */
function profiled(config) {
  return startServer({
    name: "gateway",
    script: join(SERVERS, "gateway.mjs"),
    args: [config],
    execArgv: [
      ...shippedNodeFlags(join(BENCH, "..", "Dockerfile")),
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
    ],
    stopTimeoutMs: 60_000,
  });
}

const file = readdirSync(dir)
  .filter((f) => f.endsWith(".cpuprofile"))
  .sort()
  .at(-1);
if (!file) throw new Error(`no profile in ${dir}`);
/** @type {{ nodes: Array<{ id: number, callFrame: { functionName: string, url: string, lineNumber: number } }>, samples: number[] }} */
const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
/** @type {Map<string, number>} */
const self = new Map();
for (const id of profile.samples) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  const where = frame.url
    .replace(/^.*node_modules\/(\.pnpm\/)?/, "")
    .replace(/^file:\/\/\/work\/main\//, "");
  const key = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40))
  process.stdout.write(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${key}\n`);
process.stdout.write(`profile: ${join(dir, file)}\n`);
