// Where the gateway's CPU goes beyond the floor's: `node src/profile-diff.mjs
// [json|stream] [seconds] [keep]`. Runs the floor and then the gateway under the same
// chat load (64 connections) with --cpu-prof, and prints self time per module
// in µs per request served, both side by side, largest difference first.
// Start-up (module loading and compiling) is left out: it is not per request.
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runLoad } from "./lib/load.mjs";
import { writePassConfig } from "./lib/pass-config.mjs";
import { shippedNodeFlags, startServer } from "./lib/procs.mjs";

const SERVERS = join(dirname(fileURLToPath(import.meta.url)), "servers");
const mode = process.argv[2] ?? "stream";
const seconds = Number(process.argv[3] ?? 10);
const root = join(tmpdir(), `aiproxy-profile-diff-${process.pid}`);

const upstream = await startServer({ name: "upstream", script: join(SERVERS, "upstream.mjs") });
const config = join(root, "gateway.json");
mkdirSync(root, { recursive: true });
writePassConfig(config, upstream.url);
const targets = [
  { name: "floor", script: "floor.mjs", args: [upstream.url], model: "bench-pass", flags: [] },
  {
    name: "gateway",
    script: "gateway.mjs",
    args: [config],
    model: "pass",
    // As the bench runs it: with the node flags the gateway ships with.
    flags: shippedNodeFlags(join(SERVERS, "..", "..", "..", "Dockerfile")),
  },
];
/** @type {Record<string, Map<string, number>>} */
const perRequest = {};
try {
  for (const target of targets) {
    const dir = join(root, target.name);
    const server = await startServer({
      name: target.name,
      script: join(SERVERS, target.script),
      args: target.args,
      execArgv: [...target.flags, "--cpu-prof", `--cpu-prof-dir=${dir}`],
    });
    const result = await runLoad({
      url: server.url,
      body: {
        model: target.model,
        messages: [{ role: "user", content: "Say hello." }],
        stream: mode === "stream",
      },
      connections: 64,
      durationS: seconds,
      warmupS: 1,
      pids: [/** @type {number} */ (server.child.pid)],
    });
    await server.stop();
    const served = result.requests / (seconds / (seconds + 1));
    process.stdout.write(
      `${target.name}: ${result.rps.toFixed(0)} req/s, ${result.cpuPerRequestMs?.toFixed(3)} ms CPU/req (profiler on)\n`,
    );
    perRequest[target.name] = selfTimeByModule(join(dir, readdirSync(dir)[0] ?? ""), served);
  }
} finally {
  await upstream.stop();
}
const floor = perRequest.floor ?? new Map();
const gateway = perRequest.gateway ?? new Map();
const rows = [...new Set([...floor.keys(), ...gateway.keys()])]
  .map((name) => ({ name, floor: floor.get(name) ?? 0, gateway: gateway.get(name) ?? 0 }))
  .sort((a, b) => b.gateway - b.floor - (a.gateway - a.floor));
const sum = (/** @type {Map<string, number>} */ m) => [...m.values()].reduce((a, b) => a + b, 0);
process.stdout.write(
  `\nµs of self time per request   floor ${sum(floor).toFixed(0)}   gateway ${sum(gateway).toFixed(0)}\n`,
);
for (const row of rows.slice(0, 30))
  process.stdout.write(
    `${row.name.padEnd(44)} ${row.floor.toFixed(1).padStart(7)} ${row.gateway.toFixed(1).padStart(7)} ${(row.gateway - row.floor).toFixed(1).padStart(7)}\n`,
  );
// `keep` as a third argument leaves the profiles for a closer look.
if (process.argv[4] === "keep") process.stdout.write(`profiles: ${root}\n`);
else rmSync(root, { recursive: true, force: true });

/** Self time per module (a package, a Node internal, a native function) in µs per request. */
function selfTimeByModule(/** @type {string} */ file, /** @type {number} */ requests) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  /** @type {Map<number, number>} */
  const self = new Map();
  profile.samples.forEach((/** @type {number} */ id, /** @type {number} */ i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  /** @type {Map<string, number>} */
  const out = new Map();
  for (const node of profile.nodes) {
    const time = self.get(node.id);
    const { url, functionName } = node.callFrame;
    if (!time || functionName === "(idle)" || url.startsWith("node:internal/modules")) continue;
    const name = moduleOf(url || functionName);
    out.set(name, (out.get(name) ?? 0) + time / requests);
  }
  return out;
}

function moduleOf(/** @type {string} */ url) {
  const path = url
    .replace(/^file:\/\/.*?\/(packages|apps)\//, "$1/")
    .replace(/^file:\/\/.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, "");
  const parts = path.split("/");
  if (path.startsWith("node:internal/deps/")) return parts.slice(0, 4).join("/");
  if (path.startsWith("@")) return parts.slice(0, 2).join("/");
  if (path.startsWith("packages/") || path.startsWith("apps/") || path.startsWith("node:internal/"))
    return parts.slice(0, 2).join("/");
  return parts[0] ?? path;
}
