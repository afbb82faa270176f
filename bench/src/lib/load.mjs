// Load generation: autocannon for the closed loop, with our own per-request
// timings (autocannon's histogram is whole milliseconds, too coarse for
// sub-millisecond overheads) including time to first body byte.
import http from "node:http";
import autocannon from "autocannon";
import { procStats } from "./procs.mjs";

/** @param {number[]} sorted @param {number} p */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return /** @type {number} */ (sorted[index]);
}

/** @param {number[]} values */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const list = /** @type {number[]} */ (/** @type {unknown} */ (sorted));
  return { p50: percentile(list, 50), p99: percentile(list, 99), count: values.length };
}

/**
 * @typedef {object} LoadResult
 * @property {number} rps           2xx responses per second in the measured window
 * @property {number} p50           ms, whole response
 * @property {number} p99
 * @property {number} ttfbP50       ms, first body byte
 * @property {number} ttfbP99
 * @property {number} requests      2xx responses measured
 * @property {number} errors        connection errors, timeouts and non-2xx
 * @property {number | null} cpuPerRequestMs  CPU of the measured processes per request
 * @property {number | null} rssMb  resident memory of the measured processes at the end
 */

/**
 * A warm-up run, then a measured run of `durationS` seconds at a fixed number
 * of connections (closed loop: each connection sends its next request when the
 * previous one has finished). For a fixed rate, see open-loop.mjs: autocannon's
 * `overallRate` is a per-second quota per connection, a burst each second.
 * @param {{ url: string, path?: string, body: unknown, headers?: Record<string, string>,
 *   connections: number, durationS: number, warmupS: number, pids?: number[] }} options
 * @returns {Promise<LoadResult>}
 */
export async function runLoad(options) {
  const request = {
    url: `${options.url}${options.path ?? "/v1/chat/completions"}`,
    method: /** @type {const} */ ("POST"),
    headers: { "content-type": "application/json", ...options.headers },
    body: JSON.stringify(options.body),
    connections: options.connections,
    pipelining: 1,
    timeout: 30,
  };
  if (options.warmupS > 0) await autocannonRun({ ...request, duration: options.warmupS });

  /** @type {number[]} */
  const latencies = [];
  /** @type {number[]} */
  const ttfbs = [];
  let bad = 0;
  /** @param {any} client */
  const setupClient = (client) => {
    let start = 0n;
    let first = 0n;
    client.on("request", () => {
      start = process.hrtime.bigint();
      first = 0n;
    });
    client.on("body", () => {
      if (first === 0n) first = process.hrtime.bigint();
    });
    client.on("response", (/** @type {number} */ status) => {
      const end = process.hrtime.bigint();
      if (status < 200 || status >= 300) {
        bad++;
        return;
      }
      latencies.push(Number(end - start) / 1e6);
      ttfbs.push(Number((first || end) - start) / 1e6);
    });
  };
  const pids = options.pids ?? [];
  const before = pids.map((pid) => procStats(pid));
  const result = await autocannonRun({ ...request, duration: options.durationS, setupClient });
  const after = pids.map((pid) => procStats(pid));
  const total = summarize(latencies);
  const first = summarize(ttfbs);
  const cpuMs = after.reduce((sum, s, i) => sum + s.cpuMs - (before[i]?.cpuMs ?? 0), 0);
  return {
    rps: latencies.length / result.duration,
    p50: total.p50,
    p99: total.p99,
    ttfbP50: first.p50,
    ttfbP99: first.p99,
    requests: latencies.length,
    errors: bad + result.errors + result.timeouts,
    cpuPerRequestMs: pids.length && latencies.length ? cpuMs / latencies.length : null,
    rssMb: pids.length ? after.reduce((sum, s) => sum + s.rssMb, 0) : null,
  };
}

/** @param {any} options @returns {Promise<any>} */
function autocannonRun(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * Opens `count` streaming requests at once and resolves when each has its
 * first body byte; `close()` aborts them all.
 * @param {{ url: string, body: unknown, headers?: Record<string, string>, count: number, timeoutMs?: number }} options
 */
export async function holdStreams(options) {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const body = JSON.stringify(options.body);
  /** @type {import("node:http").ClientRequest[]} */
  const requests = [];
  let failed = 0;
  const opened = Array.from({ length: options.count }, () => {
    return new Promise((resolve) => {
      const req = http.request(
        `${options.url}/v1/chat/completions`,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", ...options.headers },
        },
        (res) => {
          if (res.statusCode !== 200) failed++;
          res.once("data", () => resolve(undefined));
          res.on("data", () => {});
          res.once("end", () => resolve(undefined));
          res.once("error", () => resolve(undefined));
        },
      );
      req.on("error", () => {
        failed++;
        resolve(undefined);
      });
      req.end(body);
      requests.push(req);
    });
  });
  const started = performance.now();
  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.timeoutMs ?? 60_000);
  });
  const outcome = await Promise.race([Promise.all(opened), timedOut]);
  clearTimeout(timer);
  return {
    openMs: performance.now() - started,
    failed: failed + (outcome === "timeout" ? 1 : 0),
    close() {
      for (const req of requests) req.destroy();
      agent.destroy();
    },
  };
}
