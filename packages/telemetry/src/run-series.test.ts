import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { RUN_SERIES_CAPACITY, type RunFamilies, RunSeriesCache } from "./run-series.js";
import { CounterFamily, GaugeFamily, HistogramFamily } from "./series.js";

function runFamilies(registry: Registry): RunFamilies {
  const histogram = <L extends string>(name: string, labelNames: L[]) =>
    new HistogramFamily({ name, help: name, labelNames, buckets: [1], registry });
  const request = ["surface", "assistant", "status"] as const;
  const call = ["gen_ai_provider_name", "gen_ai_request_model", "backend"] as const;
  return {
    requests: new CounterFamily({ name: "requests", help: "r", labelNames: request, registry }),
    requestDuration: histogram("request_duration", [...request]),
    firstToken: histogram("first_token", ["surface", "assistant"]),
    inFlight: new GaugeFamily({ name: "in_flight", help: "i", labelNames: ["surface"], registry }),
    openStreams: new GaugeFamily({ name: "streams", help: "s", labelNames: ["surface"], registry }),
    operationDuration: histogram("operation", ["gen_ai_operation_name", ...call, "outcome"]),
    tokens: histogram("tokens", ["gen_ai_token_type", ...call, "assistant"]),
    toolRounds: histogram("rounds", ["assistant"]),
  };
}

const run = (assistant: string) => ({
  surface: "chat",
  assistant,
  provider: "openai",
  model: "gpt-x",
  backend: "main",
});

describe("RunSeriesCache", () => {
  it("binds one label set once", () => {
    const cache = new RunSeriesCache(runFamilies(new Registry()));
    const first = cache.of(run("helper"));
    expect(cache.of({ ...run("helper") })).toBe(first);
    expect(cache.of({ ...run("helper"), backend: "spare" })).not.toBe(first);
    expect(cache.size).toBe(2);
  });

  it("stays within its capacity as assistants come and go, and loses no value when it forgets", async () => {
    const registry = new Registry();
    const cache = new RunSeriesCache(runFamilies(registry));
    const early = cache.of(run("a0"));
    early.request(200).count.inc();
    for (let i = 0; i < 2.5 * RUN_SERIES_CAPACITY; i++) {
      cache
        .of(run(`a${i}`))
        .request(200)
        .count.inc();
      expect(cache.size).toBeLessThanOrEqual(RUN_SERIES_CAPACITY);
    }
    // A run that began before the cache forgot its series still writes the one the scrape shows.
    early.request(200).count.inc();
    cache.of(run("a0")).request(200).count.inc();
    const body = await registry.metrics();
    expect(body).toContain('requests{surface="chat",assistant="a0",status="200"} 4');
    expect(body).toContain(`requests{surface="chat",assistant="a${2.5 * RUN_SERIES_CAPACITY - 1}"`);
  });
});
