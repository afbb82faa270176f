#!/usr/bin/env node
// Propagation of admin changes across replicas sharing one Redis (issue 19):
// three gateway processes on a real redis-server; 50 changes, each written to
// one replica in turn; the time until every replica's GET shows it. Prints
// p50/p99/max and writes bench/replicas.json. Needs `redis-server` on PATH and
// the gateway built (pnpm exec turbo run build --filter=@aiproxy/gateway...).
// The first --warmup changes (JIT of the whole path on four processes) are not counted.
//   node src/replicas.mjs [--changes 50] [--warmup 3] [--resync 5]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    changes: { type: "string", default: "50" },
    warmup: { type: "string", default: "3" },
    resync: { type: "string", default: "5" },
  },
});
const CHANGES = Number(values.changes);
const WARMUP = Number(values.warmup);
const CLI = fileURLToPath(new URL("../../apps/gateway/dist/cli.js", import.meta.url));
const OUT = fileURLToPath(new URL("../replicas.json", import.meta.url));
const ADMIN = "bench-admin";
const dir = mkdtempSync(join(tmpdir(), "aiproxy-bench-replicas-"));
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function start(command, args, ready) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
      const found = ready(out);
      if (found) resolve(found);
    });
    child.once("exit", (code) => reject(new Error(`${command} exited ${code}:\n${out}`)));
  });
}

const port = await freePort();
await start(
  "redis-server",
  ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""],
  (out) => (out.includes("Ready to accept connections") ? true : undefined),
);
const configPath = join(dir, "config.yaml");
writeFileSync(
  configPath,
  JSON.stringify({
    server: { host: "127.0.0.1" },
    admin: { api_key: ADMIN },
    state: {
      store: "redis",
      redis_url: `redis://127.0.0.1:${port}`,
      resync_interval: Number(values.resync),
    },
    backends: [{ name: "up", kind: "openai", base_url: "http://127.0.0.1:9/v1", api_key: "x" }],
    assistants: [{ name: "a1", backend: "up", model: "m0" }],
  }),
);
const urls = await Promise.all(
  [0, 1, 2].map(() =>
    start(process.execPath, [CLI, "--config", configPath, "--port", "0"], (out) =>
      /"url":"([^"]+)"[^\n]*aiproxy listening|aiproxy listening[^\n]*"url":"([^"]+)"/
        .exec(out)
        ?.slice(1)
        .find(Boolean),
    ),
  ),
);
const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
const modelOn = async (url) =>
  (await (await fetch(`${url}/admin/assistants/a1`, { headers })).json()).model;

const samples = [];
try {
  for (let i = 0; i < WARMUP + CHANGES; i++) {
    const model = `m-${i}`;
    const started = performance.now();
    const put = await fetch(`${urls[i % 3]}/admin/assistants/a1`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ backend: "up", model }),
    });
    if (put.status !== 200) throw new Error(`PUT answered ${put.status}`);
    await Promise.all(
      urls.map(async (url) => {
        while ((await modelOn(url)) !== model)
          if (performance.now() - started > 30_000) throw new Error("not propagated in 30 s");
      }),
    );
    if (i >= WARMUP) samples.push(performance.now() - started);
  }
} finally {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
const sorted = [...samples].sort((a, b) => a - b);
const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
console.error("samples", samples.map((s) => Math.round(s)).join(" "));
const result = {
  changes: CHANGES,
  warmup: WARMUP,
  replicas: 3,
  p50_ms: +at(0.5).toFixed(1),
  p99_ms: +at(0.99).toFixed(1),
  max_ms: +(sorted.at(-1) ?? Number.NaN).toFixed(1),
  measured: new Date().toISOString(),
};
writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result));
