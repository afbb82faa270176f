import { describe, expect, it } from "vitest";
import { fmt, markdownTable, ratio } from "./lib/report.mjs";
import { passthroughTable, targetsSection } from "./render.mjs";

const row = (target, connections, rps, p50, p99) => ({
  target,
  connections,
  rps,
  p50,
  p99,
  ttfbP50: p50 / 2,
  ttfbP99: p99 / 2,
  requests: rps * 5,
  errors: 0,
  cpuPerRequestMs: 0.5,
  rssMb: 100,
});

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

describe("pass-through table", () => {
  const rows = [
    row("direct", 64, 5000, 10, 40),
    row("floor", 64, 1500, 30, 100),
    row("portkey", 64, 500, 60, 200),
    row("gateway", 64, 1200, 35, 120),
  ];

  it("reports added latency against direct and throughput against floor and Portkey", () => {
    const gateway = passthroughTable(rows, false)
      .split("\n")
      .find((line) => line.includes("| gateway |"));
    expect(gateway).toBe(
      "| 64 | gateway | 1,200 | 35.0 | 120 | 25.0 | 80.0 | 0.80× | 2.40× | 0.500 | 100 | 0 |",
    );
  });

  it("judges the issue's targets from the 64-connection rows", () => {
    const results = { settings: { connections: [1, 64] }, scenarios: { passthrough: rows } };
    const table = targetsSection(results).join("\n");
    expect(table).toContain("| throughput ≥ 80% of the floor | 80% (1,200 vs 1,500 req/s) | met |");
    expect(table).toContain("| throughput ≥ 2× Portkey | 2.40× (1,200 vs 500 req/s) | met |");
    expect(table).toContain(
      "| pass-through added p50 < 1 ms at 64 connections | 25.0 ms (at 1 connection: – ms) | **missed** |",
    );
    expect(table).toContain("| < 300 MB RSS with 1000 open streams | – | not measured |");
  });
});
