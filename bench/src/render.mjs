// RESULTS.md from the results object: tables first, then the targets of the
// issue with a verdict each, then what the numbers mean.
import { fmt, markdownTable, ratio, verdict } from "./lib/report.mjs";

/**
 * @param {any} results
 * @param {string} [analysis] hand-written findings (ANALYSIS.md), appended as they are
 * @returns {string}
 */
export function renderResults(results, analysis) {
  const { machine: m, settings: s, scenarios } = results;
  const out = [
    "# aiproxy benchmark results",
    "",
    `Run ${results.date} by \`pnpm bench\` in ${fmt(results.elapsedS, 0)} s on ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB RAM, ${m.os}, Node ${m.node}.`,
    `Load: autocannon, closed loop, ${s.durationS} s measured after ${s.warmupS} s of warm-up per run, connections ${s.connections.join(", ")}.`,
    "Load generator, upstream and the server under test share the machine's cores, so absolute numbers are low and noisy;",
    "compare the ratios and differences, which come from the same run. Latencies are per request, in ms; CPU/req is the",
    "server process's user+system CPU per request served (ms); RSS is the server process's resident memory at the end of the run.",
    "",
  ];
  for (const note of results.notes ?? []) out.push(`> ${note}`, "");

  out.push(...targetsSection(results), "");

  for (const [key, title] of [
    ["passthrough", "1a. Pass-through, JSON (non-streaming)"],
    [
      "passthroughStream",
      "1b. Pass-through, streaming (TTFB = first body byte, TTLB = whole stream)",
    ],
  ]) {
    const rows = scenarios[key];
    if (!rows) continue;
    out.push(`## ${title}`, "", passthroughTable(rows, key === "passthroughStream"), "");
  }
  if (scenarios.toolRound)
    out.push("## 2. One tool round", "", toolTable(scenarios.toolRound, scenarios.passthrough), "");
  if (scenarios.fanout)
    out.push(
      "## 3. Fan-out: 8 parallel tool calls in one step vs 1",
      "",
      fanoutTable(scenarios.fanout),
      "",
    );
  if (scenarios.hold)
    out.push(
      `## 4. ${scenarios.hold[0]?.streams ?? ""} streams held open`,
      "",
      holdTable(scenarios.hold),
      "",
    );
  if (scenarios.startup) out.push("## 5. Start-up", "", startupTable(scenarios.startup), "");
  out.push(...notesSection());
  if (analysis) out.push("", analysis.trim());
  return `${out.join("\n")}\n`;
}

/** @param {any[]} rows @param {string} target @param {number} connections */
function find(rows, target, connections) {
  return rows?.find((r) => r.target === target && r.connections === connections);
}

/** @param {any[]} rows @param {boolean} stream */
export function passthroughTable(rows, stream) {
  const header = ["conns", "target", "req/s", "p50", "p99"];
  if (stream) header.push("TTFB p50", "TTFB p99");
  header.push("added p50", "added p99", "vs floor", "vs Portkey", "CPU/req", "RSS MB", "errors");
  const body = rows.map((r) => {
    const direct = find(rows, "direct", r.connections);
    const floor = find(rows, "floor", r.connections);
    const peer = find(rows, "portkey", r.connections);
    const isDirect = r.target === "direct";
    const cells = [r.connections, r.target, fmt(r.rps, 0), fmt(r.p50), fmt(r.p99)];
    if (stream) cells.push(fmt(r.ttfbP50), fmt(r.ttfbP99));
    cells.push(
      isDirect ? "–" : fmt(r.p50 - direct?.p50),
      isDirect ? "–" : fmt(r.p99 - direct?.p99),
      r.target === "floor" ? "–" : ratio(floor ? r.rps / floor.rps : null),
      r.target === "portkey" ? "–" : ratio(peer ? r.rps / peer.rps : null),
      fmt(r.cpuPerRequestMs, 3),
      fmt(r.rssMb, 0),
      r.errors,
    );
    return cells;
  });
  return markdownTable(header, body);
}

/** @param {any[]} rows @param {any[] | undefined} passthrough */
function toolTable(rows, passthrough) {
  const header = [
    "transport",
    "conns",
    "req/s",
    "p50",
    "p99",
    "tool alone p50",
    "tool alone p99",
    "2 × direct LLM p50",
    "added p50",
    "added p99",
    "CPU/req",
    "RSS MB",
    "errors",
  ];
  const body = rows.map((r) => {
    const direct = find(passthrough ?? [], "direct", r.connections);
    const llm = direct ? 2 * direct.p50 : null;
    const llm99 = direct ? 2 * direct.p99 : null;
    return [
      r.transport,
      r.connections,
      fmt(r.rps, 0),
      fmt(r.p50),
      fmt(r.p99),
      fmt(r.toolAlone.p50),
      fmt(r.toolAlone.p99),
      fmt(llm),
      llm === null ? "–" : fmt(r.p50 - llm - r.toolAlone.p50),
      llm99 === null ? "–" : fmt(r.p99 - llm99 - r.toolAlone.p99),
      fmt(r.cpuPerRequestMs, 3),
      fmt(r.rssMb, 0),
      r.errors,
    ];
  });
  return [
    markdownTable(header, body),
    "",
    "A request here is two upstream calls (the tool call, then the answer) and one MCP call. *Added* is the gateway's",
    "latency minus two direct upstream round trips (scenario 1a, same connections) minus the tool called directly with the",
    "MCP SDK client at the same concurrency.",
  ].join("\n");
}

/** @param {any[]} rows */
function fanoutTable(rows) {
  const header = [
    "conns",
    "calls",
    "req/s",
    "p50",
    "p99",
    "tool alone p50",
    "p50 ÷ 1-call p50",
    "CPU/req",
    "errors",
  ];
  const body = rows.map((r) => {
    const one = rows.find((x) => x.calls === 1 && x.connections === r.connections);
    return [
      r.connections,
      r.calls,
      fmt(r.rps, 0),
      fmt(r.p50),
      fmt(r.p99),
      fmt(r.toolAlone.p50),
      ratio(one ? r.p50 / one.p50 : null),
      fmt(r.cpuPerRequestMs, 3),
      r.errors,
    ];
  });
  return [
    markdownTable(header, body),
    "",
    "Each call is the fault server's `sleep` over stdio; *tool alone* is the same 1 or 8 calls sent at once with the MCP SDK client.",
  ].join("\n");
}

/** @param {any[]} rows */
function holdTable(rows) {
  const header = [
    "target",
    "streams",
    "failed",
    "open all (ms)",
    "idle RSS MB",
    "RSS MB held",
    "heap used MB",
    "CPU %",
    "loop delay p50",
    "loop delay p99",
    "loop delay max",
  ];
  const body = rows.map((r) => [
    r.target,
    r.streams,
    r.failed,
    fmt(r.openMs, 0),
    fmt(r.idleRssMb, 0),
    fmt(r.rssMb, 0),
    fmt(r.heapUsedMb, 0),
    fmt(r.cpuPercent, 0),
    fmt(r.eventLoopDelayMs.p50),
    fmt(r.eventLoopDelayMs.p99),
    fmt(r.eventLoopDelayMs.max),
  ]);
  return [
    markdownTable(header, body),
    "",
    "Each stream is a chat completion whose upstream sends one word a second; the figures are sampled over 5 s once every",
    "stream has its first byte. Event-loop delay is measured inside the server (perf_hooks, 10 ms resolution).",
  ].join("\n");
}

/** @param {any} startup */
function startupTable(startup) {
  const header = [
    "process",
    "spawn → listening",
    "spawn → first request served",
    "first request latency",
    "first tool request latency",
    "RSS MB",
  ];
  const names = {
    node: "`node -e 0` (spawn → exit)",
    floor: "floor proxy",
    portkey: "Portkey",
    gateway: "gateway CLI",
  };
  const body = Object.entries(startup.median).map(([name, m]) => [
    names[/** @type {keyof typeof names} */ (name)] ?? name,
    fmt(m.listeningMs, 0),
    fmt(m.firstRequestMs, 0),
    fmt(m.firstRequestLatencyMs),
    fmt(m.firstToolRequestLatencyMs),
    fmt(m.rssMb, 0),
  ]);
  return [
    markdownTable(header, body),
    "",
    `Median of ${startup.runs} cold starts, ms. The gateway's first tool request includes starting the stdio MCP server`,
    "(sessions start lazily). Portkey is listening before its 1 s start-up banner finishes; it is polled.",
  ].join("\n");
}

/** @param {any} results */
export function targetsSection(results) {
  const { passthrough, toolRound, fanout, hold } = results.scenarios;
  const c = results.settings.connections.includes(64) ? 64 : results.settings.connections.at(-1);
  const gw = find(passthrough, "gateway", c);
  const direct = find(passthrough, "direct", c);
  const floor = find(passthrough, "floor", c);
  const peer = find(passthrough, "portkey", c);
  const gw1 = find(passthrough, "gateway", 1);
  const direct1 = find(passthrough, "direct", 1);
  const stdio1 = toolRound?.find((r) => r.transport === "stdio" && r.connections === 1);
  const toolAdded = stdio1 && direct1 ? stdio1.p50 - 2 * direct1.p50 - stdio1.toolAlone.p50 : null;
  const fan1 = fanout?.find((r) => r.calls === 1 && r.connections === 1);
  const fan8 = fanout?.find((r) => r.calls === 8 && r.connections === 1);
  const held = hold?.find((r) => r.target === "gateway");
  const has = (/** @type {unknown[]} */ ...xs) => xs.every((x) => x !== undefined && x !== null);

  const rows = [
    [
      `pass-through added p50 < 1 ms at ${c} connections`,
      has(gw, direct)
        ? `${fmt(gw.p50 - direct.p50)} ms (at 1 connection: ${has(gw1, direct1) ? fmt(gw1.p50 - direct1.p50) : "–"} ms)`
        : "–",
      verdict(has(gw, direct) ? gw.p50 - direct.p50 < 1 : null),
    ],
    [
      `pass-through added p99 < 5 ms at ${c} connections`,
      has(gw, direct)
        ? `${fmt(gw.p99 - direct.p99)} ms (at 1 connection: ${has(gw1, direct1) ? fmt(gw1.p99 - direct1.p99) : "–"} ms)`
        : "–",
      verdict(has(gw, direct) ? gw.p99 - direct.p99 < 5 : null),
    ],
    [
      "throughput ≥ 80% of the floor",
      has(gw, floor)
        ? `${fmt((100 * gw.rps) / floor.rps, 0)}% (${fmt(gw.rps, 0)} vs ${fmt(floor.rps, 0)} req/s)`
        : "–",
      verdict(has(gw, floor) ? gw.rps >= 0.8 * floor.rps : null),
    ],
    [
      "throughput ≥ 2× Portkey",
      has(gw, peer)
        ? `${ratio(gw.rps / peer.rps)} (${fmt(gw.rps, 0)} vs ${fmt(peer.rps, 0)} req/s)`
        : "–",
      verdict(has(gw, peer) ? gw.rps >= 2 * peer.rps : null),
    ],
    [
      "stdio tool round adds < 2 ms p50 beyond the tool's own time (1 connection)",
      has(toolAdded) ? `${fmt(toolAdded)} ms` : "–",
      verdict(has(toolAdded) ? /** @type {number} */ (toolAdded) < 2 : null),
    ],
    [
      "8 parallel tool calls take about the time of one (1 connection, ≤ 1.25×)",
      has(fan1, fan8)
        ? `${ratio(fan8.p50 / fan1.p50)} (${fmt(fan8.p50)} vs ${fmt(fan1.p50)} ms)`
        : "–",
      verdict(has(fan1, fan8) ? fan8.p50 / fan1.p50 <= 1.25 : null),
    ],
    [
      `< 300 MB RSS with ${held?.streams ?? 1000} open streams`,
      held ? `${fmt(held.rssMb, 0)} MB (${held.failed} failed)` : "–",
      verdict(held ? held.rssMb < 300 && held.failed === 0 : null),
    ],
  ];
  return ["## Targets (issue 8)", "", markdownTable(["target", "measured", "verdict"], rows)];
}

function notesSection() {
  return [
    "## Reading the numbers",
    "",
    "- *direct* is the load generator against the testkit upstream; *floor* is a ~30-line Hono forwarding proxy",
    "  (`src/servers/floor.mjs`); *Portkey* is `@portkey-ai/gateway` from npm with `x-portkey-provider: openai` and",
    "  `x-portkey-custom-host` pointing at the same upstream; *gateway* is aiproxy embedded with `createGateway` +",
    "  `serveGateway`, request logging off. Each server runs in its own process.",
    "- With a closed loop, latency at 64 or 256 connections is mostly queueing: p50 ≈ connections ÷ throughput",
    "  (Little's law). The added latency there restates the throughput gap; the 1-connection rows show the",
    "  per-request cost on an idle machine. Published anchors: Bifrost states 11 µs added at 5,000 RPS; LiteLLM",
    "  states 2 ms p50 / 13 ms p99 of overhead at about 1,170 RPS.",
    "- See README.md for how each figure is computed.",
  ];
}
