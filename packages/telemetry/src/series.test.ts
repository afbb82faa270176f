import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from "prom-client";
import { describe, expect, it } from "vitest";
import { CounterFamily, GaugeFamily, HistogramFamily } from "./series.js";

const BUCKETS = [0.5, 1, 2.5];
const labelNames = ["backend", "outcome"] as const;

/** The same writes into prom-client's own classes and into ours, one registry each. */
function pair(contentType: RegistryContentType) {
  const theirs = new Registry<RegistryContentType>();
  const ours = new Registry<RegistryContentType>();
  theirs.setContentType(contentType);
  ours.setContentType(contentType);
  const registers = [theirs];
  const names = [...labelNames];
  return {
    theirs,
    ours,
    counter: [
      new Counter({ name: "c_total", help: "c", labelNames: names, registers }),
      new CounterFamily({ name: "c_total", help: "c", labelNames, registry: ours }),
    ] as const,
    gauge: [
      new Gauge({ name: "g", help: "g", labelNames: names, registers }),
      new GaugeFamily({ name: "g", help: "g", labelNames, registry: ours }),
    ] as const,
    histogram: [
      new Histogram({ name: "h", help: "h", labelNames: names, buckets: BUCKETS, registers }),
      new HistogramFamily({ name: "h", help: "h", labelNames, buckets: BUCKETS, registry: ours }),
    ] as const,
  };
}

describe("metric families", () => {
  it.each([
    ["Prometheus text", Registry.PROMETHEUS_CONTENT_TYPE],
    ["OpenMetrics", Registry.OPENMETRICS_CONTENT_TYPE],
  ] as const)("format %s exactly as prom-client's own classes do", async (_, contentType) => {
    const { theirs, ours, counter, gauge, histogram } = pair(contentType);
    const a = { backend: "main", outcome: "ok" };
    const b = { backend: "spare", outcome: "5xx" };
    counter[0].inc(a);
    counter[0].inc(b, 3);
    counter[0].inc(a);
    counter[1].inc(a);
    counter[1].labels(b).inc(3);
    counter[1].labels(a).inc();
    gauge[0].inc(a);
    gauge[0].inc(a);
    gauge[0].dec(a);
    gauge[0].dec(b);
    const bound = gauge[1].labels(a);
    bound.inc();
    bound.inc();
    bound.dec();
    gauge[1].labels(b).dec();
    // On a bound, between bounds, above the last (only +Inf), zero.
    for (const value of [0.5, 0.7, 1, 9, 0]) {
      histogram[0].observe(a, value);
      histogram[1].labels(a).observe(value);
    }
    histogram[0].observe(b, 2);
    histogram[1].observe(b, 2);

    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it("shows a series only once it is written, not when it is bound", async () => {
    const registry = new Registry();
    const family = new HistogramFamily({
      name: "h",
      help: "h",
      labelNames,
      buckets: BUCKETS,
      registry,
    });
    const bound = family.labels({ backend: "main", outcome: "ok" });
    expect(await registry.metrics()).not.toContain("h_count");
    bound.observe(1);
    expect(await registry.metrics()).toContain('h_count{backend="main",outcome="ok"} 1');
  });

  it("drops every series on reset, and a bound series writes a new one that the scrape shows", async () => {
    const registry = new Registry();
    const counter = new CounterFamily({ name: "c_total", help: "c", labelNames, registry });
    const histogram = new HistogramFamily({
      name: "h",
      help: "h",
      labelNames,
      buckets: BUCKETS,
      registry,
    });
    const labels = { backend: "main", outcome: "ok" };
    const boundCounter = counter.labels(labels);
    const boundHistogram = histogram.labels(labels);
    boundCounter.inc(5);
    boundHistogram.observe(2);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('backend="main"');

    boundCounter.inc();
    boundHistogram.observe(0.25);
    // An unbound write after the reset lands in the same new series as the bound one.
    counter.inc(labels);
    const body = await registry.metrics();
    expect(body).toContain('c_total{backend="main",outcome="ok"} 2');
    expect(body).toContain('h_sum{backend="main",outcome="ok"} 0.25');
    expect(body).toContain('h_count{backend="main",outcome="ok"} 1');
  });

  it("refuses what prom-client refuses: a counter going down, a value that is not finite", () => {
    const registry = new Registry();
    const counter = new CounterFamily({ name: "c_total", help: "c", labelNames, registry });
    const histogram = new HistogramFamily({
      name: "h",
      help: "h",
      labelNames,
      buckets: BUCKETS,
      registry,
    });
    const labels = { backend: "main", outcome: "ok" };
    expect(() => counter.inc(labels, -1)).toThrow(TypeError);
    expect(() => counter.labels(labels).inc(Number.NaN)).toThrow(TypeError);
    expect(() => histogram.observe(labels, Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => new CounterFamily({ name: "c_total", help: "c", labelNames, registry })).toThrow(
      /already been registered/,
    );
  });
});
