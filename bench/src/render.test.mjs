import { describe, expect, it } from "vitest";
import { fmt, markdownTable, ratio } from "./lib/report.mjs";
import { interleave, median, summarizeRounds } from "./lib/rounds.mjs";
import {
  holdTable,
  openLoopTable,
  passthroughTable,
  renderResults,
  targetsSection,
  withSpread,
} from "./render.mjs";

const row = (target, connections, rps, p50, p99, cpuPerRequestMs = 0.5) => ({
  target,
  connections,
  rps,
  p50,
  p99,
  ttfbP50: p50 / 2,
  ttfbP99: p99 / 2,
  requests: rps * 5,
  errors: 0,
  cpuPerRequestMs,
  rssMb: 100,
});

/** Three rounds of each row, the figures scaled by 0.9, 1 and 1.2. */
const rounds = (rows) =>
  [0.9, 1, 1.2].flatMap((k, round) =>
    rows.map((r) => ({ ...r, round, rps: r.rps * k, cpuPerRequestMs: r.cpuPerRequestMs * k })),
  );

describe("formatting", () => {
  it("rounds by magnitude and marks missing values", () => {
    expect(fmt(0.1234)).toBe("0.12");
    expect(fmt(12.345)).toBe("12.3");
    expect(fmt(123.4)).toBe("123");
    expect(fmt(12345.6)).toBe("12,346");
    expect(fmt(null)).toBe("–");
    expect(fmt(Number.NaN)).toBe("–");
    expect(ratio(2)).toBe("2.00×");
  });

  it("builds a Markdown table", () => {
    expect(markdownTable(["a", "b"], [[1, "x"]])).toBe("| a | b |\n| --- | --- |\n| 1 | x |");
  });
});

describe("interleaved rounds", () => {
  it("runs every target once per round, in turn", async () => {
    const order = [];
    await interleave({
      rounds: 2,
      targets: ["floor", "gateway"],
      run: async (t, round) => {
        order.push(`${t}${round}`);
        return {};
      },
    });
    expect(order).toEqual(["floor0", "gateway0", "floor1", "gateway1"]);
  });

  it("reports the median of the rounds with the min and max, errors summed", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const runs = rounds([row("gateway", 64, 1000, 10, 40, 1)]).map((r, i) => ({ ...r, errors: i }));
    const [summary] = summarizeRounds(runs);
    expect(summary).toMatchObject({
      target: "gateway",
      connections: 64,
      rounds: 3,
      rps: 1000,
      errors: 3,
    });
    expect(summary.cpuPerRequestMs).toBe(1);
    expect(summary.spread.rps).toEqual([900, 1200]);
    expect(withSpread(summary, "cpuPerRequestMs", 3)).toBe("1.000 (0.900–1.200)");
  });
});

describe("pass-through table", () => {
  const rows = summarizeRounds(
    rounds([
      row("direct", 64, 5000, 10, 40, 0.2),
      row("floor", 64, 1500, 30, 100, 0.5),
      row("portkey", 64, 500, 60, 200, 1.2),
      row("gateway", 64, 1200, 35, 120, 0.6),
    ]),
  );

  it("puts CPU per request first, against the floor, and throughput against floor and Portkey", () => {
    const gateway = passthroughTable(rows, false)
      .split("\n")
      .find((line) => line.includes("| gateway |"));
    expect(gateway).toBe(
      "| 64 | gateway | 0.600 (0.540–0.720) | 1.20× | 1,200 (1,080–1,440) | 0.80× | 2.40× | 35.0 | 120 | 100 | 0 |",
    );
  });

  it("judges the issue's targets from the medians at 64 connections", () => {
    const results = {
      settings: { connections: [64] },
      scenarios: {
        passthrough: rows,
        passthroughStream: rows,
        openLoop: {
          rate: 750,
          rows: [row("direct", 64, 750, 0.3, 1), row("gateway", 64, 750, 0.9, 7)],
        },
      },
    };
    const table = targetsSection(results).join("\n");
    expect(table).toContain(
      "| JSON CPU/req ≤ 1.15× the floor's (64 connections) | 1.20× (0.600 (0.540–0.720) vs 0.500 (0.450–0.600) ms) | **missed** |",
    );
    expect(table).toContain(
      "| streaming CPU/req ≤ 1.3× the floor's (64 connections) | 1.20× (0.600 (0.540–0.720) vs 0.500 (0.450–0.600) ms) | met |",
    );
    expect(table).toContain(
      "| JSON throughput ≥ 1.5× Portkey (64 connections) | 2.40× (1,200 (1,080–1,440) vs 500 (450–600) req/s) | met |",
    );
    expect(table).toContain(
      "| open-loop added latency p50 < 1 ms | JSON 0.60 ms at 750 req/s | met |",
    );
    expect(table).toContain(
      "| open-loop added latency p99 < 5 ms | JSON 6.00 ms at 750 req/s | **missed** |",
    );
    expect(table).toContain("| < 250 MB RSS with 1000 open streams | – | not measured |");
  });
});

describe("open loop at several rates", () => {
  /** A row of the open-loop generator at `fraction` of the floor's throughput. */
  const ol = (target, fraction, p50, p99, extra = {}) => ({
    ...row(target, 0, 1500 * fraction, p50, p99),
    fraction,
    rate: 1500 * fraction,
    sentP50: p50,
    sentP99: p99 - 0.5,
    sendLagP99: 0.4,
    lateSends: 2,
    ...extra,
  });
  const openLoop = {
    capacityRps: 1500,
    rates: [
      { fraction: 0.25, rate: 375 },
      { fraction: 0.5, rate: 750 },
    ],
    rows: [
      ol("direct", 0.25, 0.3, 1),
      ol("gateway", 0.25, 1.5, 3),
      ol("direct", 0.5, 0.4, 1.2),
      ol("gateway", 0.5, 1.0, 7.2),
    ],
  };

  it("judges the targets at 50% of the floor's throughput, with the 25% figure beside it", () => {
    const table = targetsSection({
      settings: { connections: [64], openLoopFractions: [0.25, 0.5] },
      scenarios: { openLoop },
    }).join("\n");
    // At 25% the p50 misses and the p99 meets, at 50% the reverse: the verdict is 50%'s.
    expect(table).toContain(
      "| open-loop added latency p50 < 1 ms | JSON 0.60 ms at 50%, 750 req/s (at 25%: 1.20 ms) | met |",
    );
    expect(table).toContain(
      "| open-loop added latency p99 < 5 ms | JSON 6.00 ms at 50%, 750 req/s (at 25%: 2.00 ms) | **missed** |",
    );
  });

  it("renders one table per rate, with the generator's send figures and the scheduled-send note", () => {
    const md = renderResults({
      date: "2026-12-02T05:00:00Z",
      elapsedS: 60,
      machine: { cpu: "x", cores: 2, memoryGb: 1, os: "Linux", node: "v24" },
      settings: {
        connections: [64],
        durationS: 3,
        warmupS: 1,
        rounds: 1,
        openLoopFractions: [0.25, 0.5],
      },
      scenarios: { openLoop, openLoopStream: openLoop },
    });
    expect(md).toContain(
      "open loop (a uniform schedule, `src/lib/open-loop.mjs`) at 25% and 50% of the floor's closed-loop throughput.",
    );
    expect(md).toContain("JSON, 375 req/s offered (25% of the floor's throughput):");
    expect(md).toContain("JSON, 750 req/s offered (50% of the floor's throughput):");
    expect(md).toContain("streaming, 750 req/s offered (50% of the floor's throughput):");
    expect(md).toContain(
      "| target | CPU/req | req/s served | p50 | p99 | added p50 | added p99 | p99 from send | send lag p99 | late sends | errors |",
    );
    expect(md).toContain(
      "| gateway | 0.500 | 375 | 1.50 | 3.00 | 1.20 | 2.00 | 2.50 | 0.40 | 2 | 0 |",
    );
    // The streaming tables add TTFB.
    expect(md).toContain(
      "| gateway | 0.500 | 750 | 1.00 | 7.20 | 0.60 | 6.00 | 0.50 | 6.70 | 0.40 | 2 | 0 |",
    );
    expect(md).toContain("**Latency is measured from each request's scheduled send**");
  });

  it("still renders an older single-rate result (autocannon's rate) under its settings' fraction", () => {
    const md = renderResults({
      date: "2026-11-24T05:00:00Z",
      elapsedS: 60,
      machine: { cpu: "x", cores: 2, memoryGb: 1, os: "Linux", node: "v24" },
      settings: { connections: [64], durationS: 3, warmupS: 1, openLoopFraction: 0.5 },
      scenarios: {
        openLoop: {
          rate: 543,
          rows: [
            { ...row("direct", 0, 550, 5, 28), rate: 543 },
            { ...row("gateway", 0, 540, 19.7, 60), rate: 543 },
          ],
        },
      },
    });
    expect(md).toContain(", open loop at 50% of the floor's closed-loop throughput.");
    expect(md).toContain("JSON, 543 req/s offered (50% of the floor's throughput):");
    expect(md).toContain("| gateway | 0.500 | 540 | 19.7 | 60.0 | 14.7 | 32.0 | 0 |");
    expect(md).toContain("autocannon's `overallRate`");
    expect(md).toContain(
      "| open-loop added latency p50 < 1 ms | JSON 14.7 ms at 543 req/s | **missed** |",
    );
  });
});

describe("issue 16's MCP targets", () => {
  const mcp = (target, concurrency, rps, p50) => ({ target, concurrency, rps, p50, p99: p50 * 3 });
  it("judges /mcp against direct stdio, with the MCP floor beside it", () => {
    const results = {
      settings: { connections: [64] },
      scenarios: {
        mcp: {
          rows: [
            mcp("direct (stdio)", 64, 20000, 1.5),
            mcp("MCP floor", 64, 1000, 40),
            mcp("gateway /mcp", 64, 900, 60),
            mcp("direct (stdio)", 1, 6000, 0.1),
            mcp("MCP floor", 1, 600, 1.3),
            mcp("gateway /mcp", 1, 500, 0.9),
          ],
        },
      },
    };
    const table = targetsSection(results).join("\n");
    expect(table).toContain("| p50 added at 1 caller ≤ 1 ms | 0.80 ms | 1.20 ms | met |");
    expect(table).toContain(
      "| throughput at 64 callers ≥ 80% of direct | 4.5% | 5.0% | **missed** |",
    );
  });
});

describe("new sections", () => {
  it("reports open-loop latency added over direct at the same rate", () => {
    const table = openLoopTable([
      row("direct", 32, 700, 0.3, 1),
      row("gateway", 32, 700, 0.8, 3.5),
    ]);
    expect(table).toContain("| gateway | 0.500 | 700 | 0.80 | 3.50 | 0.50 | 2.50 | 0 |");
  });

  it("renders telemetry and MCP tables, the load average and the quick-mode warning", () => {
    const md = renderResults({
      date: "2026-12-01T22:00:00Z",
      elapsedS: 90,
      machine: { cpu: "x", cores: 2, memoryGb: 1, os: "Linux", node: "v24" },
      settings: {
        connections: [64],
        durationS: 1,
        warmupS: 1,
        rounds: 3,
        openLoopFraction: 0.5,
        quick: true,
      },
      loadAverage: [[10.2], [12.5]],
      scenarios: {
        telemetry: {
          otlpExports: 4,
          otlpBytes: 2 ** 20,
          rows: [
            { ...row("telemetry off", 64, 900, 40, 90, 0.8), stream: false },
            { ...row("metrics + traces", 64, 800, 45, 95, 1.0), stream: false },
          ],
        },
        mcp: {
          rows: [
            {
              ...row("gateway /mcp", 64, 300, 20, 60, 1.5),
              concurrency: 64,
              serverCpuPerCallMs: null,
            },
          ],
        },
      },
    });
    expect(md).toContain(
      "Machine load average (1 min) during the run: 10.2 → 12.5 (other work ran beside the bench)",
    );
    expect(md).toContain("**Quick mode**");
    expect(md).toContain("| JSON | metrics + traces | 1.000 | 1.25× | 800 | 45.0 | 95.0 | 0 |");
    expect(md).toContain("(4 exports, 1.0 MB)");
    expect(md).toContain("| gateway /mcp | 64 | 300 | 20.0 | 60.0 | 1.500 | – |");
  });
});

describe("streams held open", () => {
  const held = (target, rssMb, extra = {}) => ({
    target,
    streams: 1000,
    failed: 0,
    openMs: 5000,
    idleRssMb: 100,
    rssMb,
    heapUsedMb: 80,
    youngMb: 32,
    heapOtherMb: 90,
    cpuPercent: 20,
    eventLoopDelayMs: { p50: 10, p99: 30, max: 100 },
    ...extra,
  });

  it("judges the RSS target on the gateway as shipped, with Node's defaults beside it", () => {
    const hold = [
      held("floor", 200),
      held("gateway, --max-semi-space-size=16", 230, { shipped: true }),
      held("gateway, Node's defaults", 290),
    ];
    const table = targetsSection({ settings: { connections: [64] }, scenarios: { hold } }).join(
      "\n",
    );
    expect(table).toContain(
      "| < 250 MB RSS with 1000 open streams | 230 MB (0 failed); 290 MB with Node's defaults | met |",
    );
    expect(holdTable(hold)).toContain(
      "| gateway, --max-semi-space-size=16 | 1000 | 0 | 5,000 | 100 | 230 | 80 | 32 | 90 |",
    );
  });

  it("still judges an older result with one gateway row", () => {
    const hold = [held("floor", 200), held("gateway", 260, { youngMb: undefined })];
    const table = targetsSection({ settings: { connections: [64] }, scenarios: { hold } }).join(
      "\n",
    );
    expect(table).toContain(
      "| < 250 MB RSS with 1000 open streams | 260 MB (0 failed) | **missed** |",
    );
  });
});
