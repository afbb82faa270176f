// An open-loop load generator: request i is due at t0 + i/rate whatever the
// target is doing, so a slow answer cannot slow the offered load. Autocannon's
// `overallRate` is a per-second quota per connection (each connection sends
// back to back until its quota is spent, then idles): a closed-loop burst at
// the start of every second, which measures queueing, not per-request cost.
import http from "node:http";
import { summarize } from "./load.mjs";
import { procStats } from "./procs.mjs";

/** A send later than this behind its schedule counts as late. */
const LATE_MS = 1;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * What happened to one request, as it happens (for tests and traces). Times
 * are `performance.now()` ms; `scheduledMs` is when the request was due.
 * @typedef {{ type: "first-byte", index: number, scheduledMs: number, sentMs: number, firstByteMs: number }
 *   | { type: "done", index: number, scheduledMs: number, sentMs: number, firstByteMs: number,
 *       endMs: number, status: number, bytes: number }
 *   | { type: "failed", index: number, scheduledMs: number, sentMs: number, error: string }
 *   | { type: "refused", index: number, scheduledMs: number }} OpenLoopEvent
 */

/**
 * @typedef {import("./load.mjs").LoadResult & {
 *   offeredRate: number,
 *   sentP50: number,
 *   sentP99: number,
 *   sendLagP99: number,
 *   lateSends: number,
 *   refused: number,
 * }} OpenLoopResult
 *   `p50`, `p99`, `ttfbP50`, `ttfbP99` are from each request's scheduled time
 *   (a late send counts against the target, as a real client's wait would);
 *   `sentP50`/`sentP99` from the actual send. `sendLagP99` (ms) and
 *   `lateSends` (more than 1 ms behind schedule) show a generator that could
 *   not keep up; `refused` requests (maxInFlight already open) are errors.
 */

/**
 * @typedef {object} OpenLoopOptions
 * @property {string} url
 * @property {string} [path]
 * @property {unknown} body                     sent as JSON
 * @property {Record<string, string>} [headers]
 * @property {number} rate                      requests per second
 * @property {number} durationS                 measured seconds of schedule
 * @property {number} [warmupS]                 seconds of the same schedule first, not measured
 * @property {number[]} [pids]                  processes whose CPU and RSS are measured
 * @property {number} [maxInFlight]             requests open at once; one more is refused (default 256)
 * @property {AbortSignal} [signal]
 * @property {(event: OpenLoopEvent) => void} [onEvent]  measured phase only
 */

/**
 * A warm-up, then a measured run of `durationS` seconds at `rate` requests per
 * second on a uniform schedule over one keep-alive agent. Resolves once every
 * scheduled request has finished.
 * @param {OpenLoopOptions} options
 * @returns {Promise<OpenLoopResult>}
 */
export async function runOpenLoop(options) {
  const maxInFlight = options.maxInFlight ?? 256;
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const request = {
    url: new URL(options.path ?? "/v1/chat/completions", options.url),
    body: Buffer.from(JSON.stringify(options.body)),
    headers: { "content-type": "application/json", ...options.headers },
    agent,
    maxInFlight,
    rate: options.rate,
    signal: options.signal,
  };
  try {
    if (options.warmupS && options.warmupS > 0)
      await schedule({ ...request, count: Math.round(options.rate * options.warmupS) });
    const pids = options.pids ?? [];
    const before = pids.map((pid) => procStats(pid));
    const run = await schedule({
      ...request,
      count: Math.round(options.rate * options.durationS),
      onEvent: options.onEvent,
    });
    const after = pids.map((pid) => procStats(pid));
    const cpuMs = after.reduce((sum, s, i) => sum + s.cpuMs - (before[i]?.cpuMs ?? 0), 0);
    const total = summarize(run.latencies);
    const sent = summarize(run.sentLatencies);
    const first = summarize(run.ttfbs);
    const ok = run.latencies.length;
    return {
      // Served over the schedule's length, or longer if the answers trail it.
      rps: ok / (Math.max(options.durationS * 1000, run.elapsedMs) / 1000),
      p50: total.p50,
      p99: total.p99,
      ttfbP50: first.p50,
      ttfbP99: first.p99,
      requests: ok,
      errors: run.failed + run.refused,
      cpuPerRequestMs: pids.length && ok ? cpuMs / ok : null,
      rssMb: pids.length ? after.reduce((sum, s) => sum + s.rssMb, 0) : null,
      offeredRate: options.rate,
      sentP50: sent.p50,
      sentP99: sent.p99,
      sendLagP99: summarize(run.lags).p99,
      lateSends: run.lags.filter((lag) => lag > LATE_MS).length,
      refused: run.refused,
    };
  } finally {
    agent.destroy();
  }
}

/**
 * Sends `count` requests, request i at t0 + i/rate. Each wake sends every
 * request that is due (a late timer catches up instead of shifting the
 * schedule), then sleeps until the next one is.
 * @param {{ url: URL, body: Buffer, headers: Record<string, string>, agent: http.Agent,
 *   maxInFlight: number, rate: number, count: number, signal?: AbortSignal,
 *   onEvent?: (event: OpenLoopEvent) => void }} options
 */
function schedule(options) {
  const { count, rate, onEvent } = options;
  const intervalMs = 1000 / rate;
  /** @type {number[]} */ const latencies = [];
  /** @type {number[]} */ const sentLatencies = [];
  /** @type {number[]} */ const ttfbs = [];
  /** @type {number[]} */ const lags = [];
  /** @type {Set<http.ClientRequest>} */ const open = new Set();
  let failed = 0;
  let refused = 0;
  let next = 0;
  let lastEnd = 0;
  /** @type {NodeJS.Timeout | undefined} */ let timer;
  const t0 = performance.now();

  return new Promise((resolve, reject) => {
    const finishIfDone = () => {
      if (next < count || open.size > 0) return;
      options.signal?.removeEventListener("abort", onAbort);
      resolve({
        latencies,
        sentLatencies,
        ttfbs,
        lags,
        failed,
        refused,
        elapsedMs: Math.max(lastEnd, t0) - t0,
      });
    };
    const onAbort = () => {
      clearTimeout(timer);
      for (const req of open) req.destroy();
      reject(options.signal?.reason);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });

    /** @param {number} index @param {number} scheduledMs */
    const send = (index, scheduledMs) => {
      if (open.size >= options.maxInFlight) {
        // Never queued: a queue in the generator would hide the target's backlog.
        refused++;
        onEvent?.({ type: "refused", index, scheduledMs });
        return;
      }
      const sentMs = performance.now();
      lags.push(sentMs - scheduledMs);
      let firstByteMs = 0;
      let bytes = 0;
      let settled = false;
      /** @param {string} error */
      const fail = (error) => {
        if (settled) return;
        settled = true;
        failed++;
        onEvent?.({ type: "failed", index, scheduledMs, sentMs, error });
      };
      const req = http.request(
        options.url,
        {
          method: "POST",
          agent: options.agent,
          headers: { ...options.headers, "content-length": String(options.body.length) },
        },
        (res) => {
          res.on("data", (/** @type {Buffer} */ chunk) => {
            if (bytes === 0) {
              firstByteMs = performance.now();
              onEvent?.({ type: "first-byte", index, scheduledMs, sentMs, firstByteMs });
            }
            bytes += chunk.length;
          });
          res.once("end", () => {
            const endMs = performance.now();
            lastEnd = Math.max(lastEnd, endMs);
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return fail(`HTTP ${status}`);
            settled = true;
            latencies.push(endMs - scheduledMs);
            sentLatencies.push(endMs - sentMs);
            ttfbs.push((firstByteMs || endMs) - scheduledMs);
            onEvent?.({
              type: "done",
              index,
              scheduledMs,
              sentMs,
              firstByteMs: firstByteMs || endMs,
              endMs,
              status,
              bytes,
            });
          });
          res.once("error", (error) => fail(error.message));
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error("timed out")));
      req.once("error", (error) => fail(error.message));
      // 'close' comes once the socket is back in the agent (or gone), so a
      // freed slot never sends into an agent that still counts it busy.
      req.once("close", () => {
        open.delete(req);
        if (!settled) fail("closed before the response ended");
        finishIfDone();
      });
      open.add(req);
      req.end(options.body);
    };

    const wake = () => {
      const now = performance.now();
      while (next < count && t0 + next * intervalMs <= now) {
        send(next, t0 + next * intervalMs);
        next++;
      }
      if (next < count) {
        timer = setTimeout(wake, Math.max(0, t0 + next * intervalMs - performance.now()));
      } else {
        finishIfDone();
      }
    };
    wake();
  });
}
