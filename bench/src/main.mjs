// `pnpm bench`: every scenario of the benchmark, against the baselines
// measured in the same run, written to RESULTS.md and results.json.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, type as osType, release, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { mcpTestServerCommand } from "@aiproxy/testkit";
import { holdStreams, runLoad } from "./lib/load.mjs";
import { measureToolCalls } from "./lib/mcp-direct.mjs";
import { runOpenLoop } from "./lib/open-loop.mjs";
import {
  freePort,
  probe,
  procStats,
  shippedNodeFlags,
  startCommand,
  startServer,
} from "./lib/procs.mjs";
import { interleave, summarizeRounds } from "./lib/rounds.mjs";
import { renderResults } from "./render.mjs";

const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
const ROOT = dirname(BENCH);
const SERVERS = join(BENCH, "src", "servers");
const PORTKEY = join(BENCH, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");
const EVERYTHING = join(
  BENCH,
  "node_modules",
  "@modelcontextprotocol",
  "server-everything",
  "dist",
  "index.js",
);
const CLI = join(ROOT, "apps", "gateway", "dist", "cli.js");
/** Every gateway the bench starts runs with the node flags it ships with. */
const GATEWAY_FLAGS = shippedNodeFlags(join(ROOT, "Dockerfile"));

// BENCH_QUICK=1: every scenario, briefly, to check the harness (a minute or two).
const QUICK = process.env.BENCH_QUICK === "1";
const { values: flags } = parseArgs({
  options: {
    duration: { type: "string", default: QUICK ? "1" : "3" },
    warmup: { type: "string", default: QUICK ? "0.5" : "1" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "64" },
    "tool-connections": { type: "string", default: QUICK ? "1" : "1,64" },
    "open-loop": { type: "string", default: "0.25,0.5" },
    streams: { type: "string", default: QUICK ? "200" : "1000" },
    "tool-ms": { type: "string", default: "50" },
    only: { type: "string" },
    profile: { type: "boolean", default: false },
    out: { type: "string", default: BENCH },
    "render-only": { type: "boolean", default: false },
  },
});
const DURATION = Number(flags.duration);
const WARMUP = Number(flags.warmup);
const CONNECTIONS = String(flags.connections).split(",").map(Number);
const TOOL_CONNECTIONS = String(flags["tool-connections"]).split(",").map(Number);
const ROUNDS = Number(flags.rounds);
/** The open-loop rates, as fractions of the floor's closed-loop throughput. */
const OPEN_LOOP = String(flags["open-loop"]).split(",").map(Number);
const STREAMS = Number(flags.streams);
const TOOL_MS = Number(flags["tool-ms"]);
const ONLY = flags.only ? new Set(String(flags.only).split(",")) : null;
const wanted = (/** @type {string} */ name) => !ONLY || ONLY.has(name);

const log = (/** @type {string} */ message) => process.stderr.write(`[bench] ${message}\n`);
const wait = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
const median = (/** @type {number[]} */ xs) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const userMessage = [{ role: "user", content: "Say hello." }];
/** The request body of each surface, for an assistant (or upstream model) named `model`. */
const SURFACES = {
  chat: {
    path: "/v1/chat/completions",
    body: (/** @type {string} */ model, /** @type {boolean} */ stream) => ({
      model,
      messages: userMessage,
      stream,
    }),
  },
  messages: {
    path: "/v1/messages",
    body: (/** @type {string} */ model, /** @type {boolean} */ stream) => ({
      model,
      max_tokens: 64,
      messages: userMessage,
      stream,
    }),
  },
  responses: {
    path: "/v1/responses",
    body: (/** @type {string} */ model, /** @type {boolean} */ stream) => ({
      model,
      input: "Say hello.",
      store: false,
      stream,
    }),
  },
};

/** @type {Array<{ stop(): Promise<void> }>} */
const started = [];
const work = mkdtempSync(join(tmpdir(), "aiproxy-bench-"));

/** Rewrites RESULTS.md from results.json, e.g. after editing ANALYSIS.md. */
function renderOnly() {
  const results = JSON.parse(readFileSync(join(flags.out, "results.json"), "utf8"));
  writeResults(results, false);
}

/** @param {any} results @param {boolean} withJson */
function writeResults(results, withJson) {
  mkdirSync(flags.out, { recursive: true });
  if (withJson)
    writeFileSync(join(flags.out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const analysisFile = join(BENCH, "ANALYSIS.md");
  const analysis = existsSync(analysisFile) ? readFileSync(analysisFile, "utf8") : undefined;
  writeFileSync(join(flags.out, "RESULTS.md"), renderResults(results, analysis));
}

async function main() {
  if (flags["render-only"]) return renderOnly();
  const t0 = performance.now();
  const results = {
    date: new Date().toISOString(),
    machine: machine(),
    settings: {
      quick: QUICK,
      rounds: ROUNDS,
      durationS: DURATION,
      warmupS: WARMUP,
      connections: CONNECTIONS,
      toolConnections: TOOL_CONNECTIONS,
      openLoopFractions: OPEN_LOOP,
      streams: STREAMS,
      toolSleepMs: TOOL_MS,
    },
    /** @type {Record<string, any>} */
    scenarios: {},
    notes: /** @type {string[]} */ ([]),
    /** @type {number[][]} */
    loadAverage: [loadavg()],
  };

  log("starting upstream, floor, Portkey, MCP servers and the gateway");
  const upstream = track(
    await startServer({
      name: "upstream",
      script: join(SERVERS, "upstream.mjs"),
      env: { BENCH_TOOL_SLEEP_MS: String(TOOL_MS) },
    }),
  );
  const floor = track(
    await startServer({ name: "floor", script: join(SERVERS, "floor.mjs"), args: [upstream.url] }),
  );
  const portkey = track(
    await startPortkey().catch((error) => {
      results.notes.push(`Portkey did not start: ${String(error).split("\n")[0]}`);
      return null;
    }),
  );
  const everythingPort = await freePort();
  const everything = track(
    await startCommand({
      name: "everything",
      command: process.execPath,
      args: [EVERYTHING, "streamableHttp"],
      env: { PORT: String(everythingPort) },
      poll: everythingPort,
      url: `http://127.0.0.1:${everythingPort}/mcp`,
    }),
  );
  const otlp = track(await startServer({ name: "otlp", script: join(SERVERS, "otlp.mjs") }));
  const configFile = join(work, "gateway.json");
  writeFileSync(configFile, JSON.stringify(gatewayConfig(upstream.url, everything.url)));
  const gateway = track(
    await startServer({
      name: "gateway",
      script: join(SERVERS, "gateway.mjs"),
      args: [configFile],
      execArgv: [
        ...GATEWAY_FLAGS,
        ...(flags.profile ? ["--cpu-prof", `--cpu-prof-dir=${join(BENCH, "profiles")}`] : []),
      ],
      stopTimeoutMs: flags.profile ? 60_000 : 1000,
    }),
  );
  /** A gateway with the same config but another `telemetry:` section. @param {string} name @param {any} telemetry */
  const gatewayWith = async (name, telemetry) => {
    const file = join(work, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({ ...gatewayConfig(upstream.url, everything.url), telemetry }),
    );
    return track(
      await startServer({
        name,
        script: join(SERVERS, "gateway.mjs"),
        args: [file],
        execArgv: GATEWAY_FLAGS,
      }),
    );
  };

  const portkeyHeaders = {
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": `${upstream.url}/v1`,
    authorization: "Bearer sk-bench",
  };
  /** @typedef {{ name: string, url: string, model: string, headers?: Record<string, string>, pid: number, surface?: keyof typeof SURFACES }} Target */
  /** @type {Target[]} */
  const targets = [
    { name: "direct", url: upstream.url, model: "bench-pass", pid: pid(upstream) },
    { name: "floor", url: floor.url, model: "bench-pass", pid: pid(floor) },
    ...(portkey
      ? [
          {
            name: "portkey",
            url: portkey.url,
            model: "bench-pass",
            headers: portkeyHeaders,
            pid: pid(portkey),
          },
        ]
      : []),
    { name: "gateway", url: gateway.url, model: "pass", pid: pid(gateway) },
  ];
  await smokeCheck(targets);

  // 1. pass-through on every surface, interleaved rounds; CPU per request first
  // The gateway's Messages and Responses surfaces run beside its chat surface
  // and the floor, against the same upstream chat completion.
  /** @type {Target[]} */
  const gatewaySurfaces = [
    {
      name: "gateway-messages",
      surface: "messages",
      url: gateway.url,
      model: "pass",
      pid: pid(gateway),
    },
    {
      name: "gateway-responses",
      surface: "responses",
      url: gateway.url,
      model: "pass",
      pid: pid(gateway),
    },
  ];
  await smokeCheck(gatewaySurfaces);
  const capacity = { json: Number.NaN, stream: Number.NaN };
  if (wanted("passthrough")) {
    for (const stream of [false, true]) {
      const key = stream ? "passthroughStream" : "passthrough";
      const runs = [];
      for (const connections of CONNECTIONS) {
        runs.push(
          ...(await interleave({
            rounds: ROUNDS,
            targets: [...targets, ...gatewaySurfaces],
            run: async (target, round) => {
              log(
                `pass-through ${stream ? "stream" : "json"} c=${connections} ${target.name} round ${round + 1}/${ROUNDS}`,
              );
              const surface = SURFACES[target.surface ?? "chat"];
              const result = await runLoad({
                url: target.url,
                path: surface.path,
                headers: target.headers,
                body: surface.body(target.model, stream),
                connections,
                durationS: DURATION,
                warmupS: WARMUP,
                pids: [target.pid],
              });
              return { target: target.name, connections, ...result };
            },
          })),
        );
      }
      results.scenarios[key] = summarizeRounds(runs);
      results.scenarios[`${key}Runs`] = runs;
      const floorRow = results.scenarios[key].find(
        (r) => r.target === "floor" && r.connections === Math.max(...CONNECTIONS),
      );
      capacity[stream ? "stream" : "json"] = floorRow?.rps ?? Number.NaN;
      results.loadAverage.push(loadavg());
    }
  }

  // 1c. open loop: fixed rates below the floor's capacity, so added latency is
  // per-request cost; more than one rate shows where queueing begins.
  if (wanted("openloop")) {
    for (const stream of [false, true]) {
      const floorRps = capacity[stream ? "stream" : "json"];
      // Without a measured capacity (--only openloop), fractions of a modest 400 req/s.
      const base = Number.isFinite(floorRps) ? floorRps : 400;
      const runs = [];
      for (const fraction of OPEN_LOOP) {
        const rate = fraction * base;
        runs.push(
          ...(await interleave({
            rounds: ROUNDS,
            targets,
            run: async (target, round) => {
              log(
                `open loop ${stream ? "stream" : "json"} ${rate.toFixed(0)} req/s ${target.name} round ${round + 1}/${ROUNDS}`,
              );
              const result = await runOpenLoop({
                url: target.url,
                headers: target.headers,
                body: { model: target.model, messages: userMessage, stream },
                rate,
                durationS: DURATION,
                warmupS: WARMUP,
                pids: [target.pid],
              });
              return { target: target.name, fraction, rate, ...result };
            },
          })),
        );
      }
      results.scenarios[stream ? "openLoopStream" : "openLoop"] = {
        capacityRps: Number.isFinite(floorRps) ? floorRps : null,
        rates: OPEN_LOOP.map((fraction) => ({ fraction, rate: fraction * base })),
        rows: summarizeRounds(runs, ["fraction", "rate"]),
        runs,
      };
    }
    results.loadAverage.push(loadavg());
  }

  // 1d. telemetry: metrics off, metrics on (the default), metrics + traces to a local OTLP receiver
  if (wanted("telemetry")) {
    const quiet = await gatewayWith("gateway-telemetry-off", { metrics: { enabled: false } });
    const traced = await gatewayWith("gateway-traced", {
      metrics: { enabled: true },
      traces: { otlp_endpoint: otlp.url, service_name: "aiproxy-bench" },
    });
    const variants = [
      { name: "telemetry off", url: quiet.url, pid: pid(quiet) },
      { name: "metrics", url: gateway.url, pid: pid(gateway) },
      { name: "metrics + traces", url: traced.url, pid: pid(traced) },
    ];
    const rows = [];
    for (const stream of [false, true]) {
      const runs = await interleave({
        rounds: ROUNDS,
        targets: variants,
        run: async (variant, round) => {
          log(
            `telemetry ${stream ? "stream" : "json"} ${variant.name} round ${round + 1}/${ROUNDS}`,
          );
          const result = await runLoad({
            url: variant.url,
            body: { model: "pass", messages: userMessage, stream },
            connections: Math.max(...CONNECTIONS),
            durationS: DURATION,
            warmupS: WARMUP,
            pids: [variant.pid],
          });
          return { target: variant.name, stream, ...result };
        },
      });
      rows.push(...summarizeRounds(runs, ["stream"]));
    }
    const exported = await probe(otlp.child, /** @type {any} */ ("otlp:read"));
    results.scenarios.telemetry = {
      rows,
      otlpExports: exported.exports,
      otlpBytes: exported.bytes,
    };
    await quiet.stop();
    await traced.stop();
    results.loadAverage.push(loadavg());
  }

  // 1e. MCP: server-everything's echo through the gateway's /mcp, through the MCP floor
  // (the least HTTP proxy, src/servers/mcp-floor.mjs) and with the SDK client over stdio.
  if (wanted("mcp")) {
    const mcpFloor = track(
      await startServer({
        name: "mcp-floor",
        script: join(SERVERS, "mcp-floor.mjs"),
        args: [process.execPath, EVERYTHING, "stdio"],
      }),
    );
    const runs = [];
    for (const concurrency of [Math.max(...CONNECTIONS), 1]) {
      const rounds = await interleave({
        rounds: ROUNDS,
        targets: [
          {
            name: "direct (stdio)",
            server: { command: process.execPath, args: [EVERYTHING, "stdio"] },
            tool: "echo",
            pids: [],
          },
          {
            name: "MCP floor",
            server: { url: `${mcpFloor.url}/mcp` },
            tool: "echo",
            pids: [pid(mcpFloor)],
          },
          {
            name: "gateway /mcp",
            server: { url: `${gateway.url}/mcp` },
            tool: "evstdio__echo",
            pids: [pid(gateway)],
          },
        ],
        run: async (target, round) => {
          log(`mcp c=${concurrency} ${target.name} round ${round + 1}/${ROUNDS}`);
          const r = await measureToolCalls(target.server, {
            tool: target.tool,
            args: { message: "hello" },
            concurrency,
            durationS: DURATION,
            warmupS: WARMUP,
            pids: target.pids,
          });
          return {
            target: target.name,
            concurrency,
            ...r,
            cpuPerRequestMs: r.cpuPerCallMs,
            requests: r.count,
          };
        },
      });
      runs.push(...rounds);
    }
    await mcpFloor.stop();
    results.scenarios.mcp = { rows: summarizeRounds(runs, ["concurrency"]), runs };
    results.loadAverage.push(loadavg());
  }

  // 2. one tool round (non-streaming), stdio and streamable HTTP
  if (wanted("tools")) {
    const demo = mcpTestServerCommand("demo");
    const rows = [];
    for (const [transport, assistant, server, tool] of /** @type {const} */ ([
      ["stdio", "tool-stdio", demo, "add"],
      ["streamable-http", "tool-http", { url: everything.url }, "get-sum"],
    ])) {
      for (const connections of TOOL_CONNECTIONS) {
        log(`tool round ${transport} c=${connections}: the tool alone`);
        const toolAlone = await measureToolCalls(server, {
          tool,
          args: { a: 2, b: 3 },
          concurrency: connections,
          durationS: Math.min(DURATION, 3),
          warmupS: 1,
        });
        log(`tool round ${transport} c=${connections}: through the gateway`);
        const result = await runLoad({
          url: gateway.url,
          body: { model: assistant, messages: userMessage },
          connections,
          durationS: DURATION,
          warmupS: WARMUP,
          pids: [pid(gateway)],
        });
        rows.push({ transport, connections, toolAlone, ...result });
      }
    }
    results.scenarios.toolRound = rows;
  }

  // 3. fan-out: one step with 8 parallel calls vs one call, to one stdio server
  if (wanted("fanout")) {
    const faults = mcpTestServerCommand("faults");
    const rows = [];
    for (const connections of TOOL_CONNECTIONS) {
      for (const calls of [1, 8]) {
        log(`fan-out ${calls} call(s) c=${connections}`);
        const toolAlone = await measureToolCalls(faults, {
          tool: "sleep",
          args: { ms: TOOL_MS },
          parallel: calls,
          concurrency: connections,
          durationS: Math.min(DURATION, 3),
          warmupS: 0.5,
        });
        const result = await runLoad({
          url: gateway.url,
          body: { model: `fan-${calls}`, messages: userMessage },
          connections,
          durationS: DURATION,
          warmupS: WARMUP,
          pids: [pid(gateway)],
        });
        rows.push({ calls, connections, toolAlone, ...result });
      }
    }
    results.scenarios.fanout = rows;
  }

  // 4. many streams held open
  if (wanted("hold")) {
    const rows = [];
    // Fresh processes, so the RSS is that of the held streams and not of the heap grown by earlier scenarios.
    // The floor and the gateway run both with the gateway's shipped node flags and with Node's defaults,
    // so the young generation's share of the RSS shows apart from the gateway's own.
    /** @param {string} name @param {string[]} execArgv */
    const floorHolder = (name, execArgv) => ({
      name,
      start: () =>
        startServer({ name, script: join(SERVERS, "floor.mjs"), args: [upstream.url], execArgv }),
      model: "bench-hold",
      headers: undefined,
    });
    /** @param {string} name @param {string[]} execArgv */
    const gatewayHolder = (name, execArgv) => ({
      name,
      start: () =>
        startServer({ name, script: join(SERVERS, "gateway.mjs"), args: [configFile], execArgv }),
      model: "hold",
      headers: undefined,
      shipped: execArgv === GATEWAY_FLAGS,
    });
    const shipped = GATEWAY_FLAGS.join(" ");
    const holders = [
      floorHolder("floor", []),
      ...(GATEWAY_FLAGS.length ? [floorHolder(`floor, ${shipped}`, GATEWAY_FLAGS)] : []),
      ...(portkey
        ? [{ name: "portkey", start: startPortkey, model: "bench-hold", headers: portkeyHeaders }]
        : []),
      gatewayHolder(GATEWAY_FLAGS.length ? `gateway, ${shipped}` : "gateway", GATEWAY_FLAGS),
      ...(GATEWAY_FLAGS.length ? [gatewayHolder("gateway, Node's defaults", [])] : []),
    ];
    for (const { start, shipped, ...holder } of holders) {
      const server = await start();
      log(`${STREAMS} streams held open through ${holder.name}`);
      await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...holder.headers },
        body: JSON.stringify({
          model: holder.model === "hold" ? "pass" : "bench-pass",
          messages: userMessage,
        }),
      }).then((r) => r.text());
      const idle = procStats(pid(server));
      const held = await holdStreams({
        url: server.url,
        headers: holder.headers,
        body: { model: holder.model, messages: userMessage, stream: true },
        count: STREAMS,
      });
      await probe(server.child, "probe:reset");
      const cpuBefore = procStats(pid(server)).cpuMs;
      await wait(5000);
      const sample = await probe(server.child, "probe:read");
      const loaded = procStats(pid(server));
      held.close();
      await server.stop();
      rows.push({
        target: holder.name,
        ...(shipped ? { shipped } : {}),
        streams: STREAMS,
        failed: held.failed,
        openMs: held.openMs,
        idleRssMb: idle.rssMb,
        rssMb: loaded.rssMb,
        heapUsedMb: sample.memory.heapUsed / 2 ** 20,
        youngMb: sample.heap.youngMb,
        heapOtherMb: sample.heap.otherMb,
        cpuPercent: ((loaded.cpuMs - cpuBefore) / 5000) * 100,
        eventLoopDelayMs: sample.eventLoopDelayMs,
      });
      await wait(1000);
    }
    results.scenarios.hold = rows;
  }

  for (const server of started.splice(0).reverse()) await server.stop();

  // 5. start-up and first request served
  if (wanted("startup")) results.scenarios.startup = await startupScenario(configFile);
  results.loadAverage.push(loadavg());

  results.elapsedS = (performance.now() - t0) / 1000;
  writeResults(results, true);
  log(`done in ${results.elapsedS.toFixed(0)} s: ${join(flags.out, "RESULTS.md")}`);
}

/** The gateway's config: one OpenAI-compatible backend (the upstream) and one assistant per scenario. */
function gatewayConfig(upstreamUrl, everythingUrl) {
  const demo = mcpTestServerCommand("demo");
  const faults = mcpTestServerCommand("faults");
  const assistant = (name, model, mcp = []) => ({
    name,
    backend: "upstream",
    model,
    mcp_servers: mcp,
    max_tool_iterations: 2,
  });
  return {
    backends: [
      { name: "upstream", kind: "openai", base_url: `${upstreamUrl}/v1`, api_key: "sk-bench" },
    ],
    mcp_servers: [
      { name: "demo", transport: "stdio", command: demo.command, args: demo.args },
      { name: "faults", transport: "stdio", command: faults.command, args: faults.args },
      { name: "everything", transport: "streamable-http", url: everythingUrl },
      // The MCP scenario's echo, behind the gateway's /mcp, over stdio like the direct client's.
      {
        name: "evstdio",
        transport: "stdio",
        command: process.execPath,
        args: [EVERYTHING, "stdio"],
      },
    ],
    assistants: [
      assistant("pass", "bench-pass"),
      assistant("hold", "bench-hold"),
      assistant("tool-stdio", "bench-tool-add", ["demo"]),
      assistant("tool-http", "bench-tool-sum", ["everything"]),
      assistant("fan-1", "bench-fan-1", ["faults"]),
      assistant("fan-8", "bench-fan-8", ["faults"]),
    ],
  };
}

async function startPortkey() {
  const port = await freePort();
  return startServer({
    name: "portkey",
    script: PORTKEY,
    args: [`--port=${port}`, "--headless"],
    env: { NODE_ENV: "production" },
    execArgv: ["--import", new URL("./servers/portkey-shim.mjs", import.meta.url).href],
    url: `http://127.0.0.1:${port}`,
    poll: `http://127.0.0.1:${port}/`,
  });
}

/** One request per target, so a misconfigured target fails loudly before minutes of load. */
async function smokeCheck(targets) {
  for (const target of targets) {
    for (const stream of [false, true]) {
      const surface = SURFACES[target.surface ?? "chat"];
      const response = await fetch(`${target.url}${surface.path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...target.headers },
        body: JSON.stringify(surface.body(target.model, stream)),
      });
      const text = await response.text();
      if (response.status !== 200 || !text.includes("Hello!"))
        throw new Error(
          `${target.name} (stream: ${stream}) answered ${response.status}: ${text.slice(0, 300)}`,
        );
    }
  }
}

/** Spawn to listening, and to the first request served, for each server (median of five). */
async function startupScenario(gatewayConfigFile) {
  const RUNS = QUICK ? 1 : 5;
  const upstream = await startServer({ name: "upstream", script: join(SERVERS, "upstream.mjs") });
  /** @type {Record<"node" | "floor" | "portkey" | "gateway", Array<Record<string, number>>>} */
  const samples = { node: [], floor: [], portkey: [], gateway: [] };
  try {
    // The gateway CLI reads YAML; JSON is YAML. Point its backend at this upstream.
    const config = gatewayConfig(upstream.url, "http://127.0.0.1:9/mcp");
    config.mcp_servers = config.mcp_servers.filter((s) => s.transport === "stdio");
    config.assistants = config.assistants.filter(
      (a) => a.name === "pass" || a.name === "tool-stdio",
    );
    const cliConfig = join(dirname(gatewayConfigFile), "gateway-cli.yaml");
    writeFileSync(cliConfig, JSON.stringify(config));

    for (let run = 0; run < RUNS; run++) {
      log(`start-up run ${run + 1}/${RUNS}`);
      const spawnedAt = performance.now();
      const node = await startCommandExit(process.execPath, ["-e", "0"]);
      samples.node.push({ listeningMs: node - spawnedAt });

      const gateway = await startServer({
        name: "gateway-cli",
        script: CLI,
        args: ["--config", cliConfig, "--port", "0"],
        execArgv: GATEWAY_FLAGS,
        env: { LOG_LEVEL: "info" },
      });
      const firstPass = await firstRequest(gateway.url, "pass");
      const firstTool = await firstRequest(gateway.url, "tool-stdio");
      samples.gateway.push({
        listeningMs: gateway.readyAt - gateway.startedAt,
        firstRequestMs: firstPass.at - gateway.startedAt,
        firstRequestLatencyMs: firstPass.latency,
        firstToolRequestLatencyMs: firstTool.latency,
        rssMb: procStats(pid(gateway)).rssMb,
      });
      await gateway.stop();

      const floor = await startServer({
        name: "floor",
        script: join(SERVERS, "floor.mjs"),
        args: [upstream.url],
      });
      const floorFirst = await firstRequest(floor.url, "bench-pass");
      samples.floor.push({
        listeningMs: floor.readyAt - floor.startedAt,
        firstRequestMs: floorFirst.at - floor.startedAt,
        firstRequestLatencyMs: floorFirst.latency,
        rssMb: procStats(pid(floor)).rssMb,
      });
      await floor.stop();

      const portkey = await startPortkey().catch(() => null);
      if (portkey) {
        const headers = {
          "x-portkey-provider": "openai",
          "x-portkey-custom-host": `${upstream.url}/v1`,
          authorization: "Bearer sk-bench",
        };
        const first = await firstRequest(portkey.url, "bench-pass", headers);
        samples.portkey.push({
          listeningMs: portkey.readyAt - portkey.startedAt,
          firstRequestMs: first.at - portkey.startedAt,
          firstRequestLatencyMs: first.latency,
          rssMb: procStats(pid(portkey)).rssMb,
        });
        await portkey.stop();
      }
    }
  } finally {
    await upstream.stop();
  }
  /** @type {Record<string, any>} */
  const summary = {};
  for (const [name, runs] of Object.entries(samples)) {
    if (runs.length === 0) continue;
    summary[name] = {};
    for (const field of Object.keys(runs[0]))
      summary[name][field] = median(runs.map((r) => r[field]));
  }
  return { runs: RUNS, median: summary, samples };
}

/** @returns {Promise<number>} performance.now() when the process exited */
function startCommandExit(command, args) {
  return import("node:child_process").then(
    ({ spawn }) =>
      new Promise((resolve) => {
        const child = spawn(command, args, { stdio: "ignore" });
        child.once("exit", () => resolve(performance.now()));
      }),
  );
}

async function firstRequest(url, model, headers = {}) {
  const start = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, messages: userMessage }),
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`first request to ${url} (${model}): ${response.status} ${text.slice(0, 200)}`);
  const at = performance.now();
  return { at, latency: at - start };
}

function machine() {
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model ?? "unknown",
    cores: cpuList.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    freeMemoryGb: Math.round(freemem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
  };
}

/** @template {{ stop(): Promise<void> } | null} T @param {T} server @returns {T} */
function track(server) {
  if (server) started.push(server);
  return server;
}

/** @param {{ child: import("node:child_process").ChildProcess }} server */
function pid(server) {
  return /** @type {number} */ (server.child.pid);
}

const cleanup = async () => {
  for (const server of started.splice(0).reverse()) await server.stop().catch(() => {});
  rmSync(work, { recursive: true, force: true });
};
process.once("SIGINT", () => cleanup().then(() => process.exit(130)));
// Last resort if the bench dies without cleaning up: no server outlives it.
process.once("exit", () => {
  for (const server of started) /** @type {any} */ (server).child?.kill("SIGKILL");
});
main().then(cleanup, async (error) => {
  process.stderr.write(`[bench] failed: ${error?.stack ?? error}\n`);
  await cleanup();
  process.exitCode = 1;
});
