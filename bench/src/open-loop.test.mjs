import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { runOpenLoop } from "./lib/open-loop.mjs";

/**
 * A loopback server that answers every request only once `release()` is
 * called; `arrived(n)` resolves when n requests have come in.
 * @param {(res: http.ServerResponse, index: number) => void} [answerHead] written on arrival
 * @param {(res: http.ServerResponse) => void} [answerTail] written on release
 */
async function holdingServer(answerHead = () => {}, answerTail = (res) => res.end("{}")) {
  /** @type {http.ServerResponse[]} */
  const held = [];
  /** @type {number[]} */
  const arrivals = [];
  /** @type {Array<{ n: number, resolve: () => void }>} */
  const waiters = [];
  let released = false;
  const server = http.createServer((req, res) => {
    req.resume();
    req.once("end", () => {
      arrivals.push(performance.now());
      answerHead(res, arrivals.length - 1);
      if (released) answerTail(res);
      else held.push(res);
      for (const w of waiters.filter((w) => arrivals.length >= w.n)) w.resolve();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  servers.push(server);
  return {
    url: `http://127.0.0.1:${address.port}`,
    arrivals,
    /** @param {number} n @returns {Promise<void>} */
    arrived: (n) =>
      arrivals.length >= n
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ n, resolve })),
    release() {
      released = true;
      for (const res of held.splice(0)) answerTail(res);
      return performance.now();
    },
  };
}

/** @type {http.Server[]} */
const servers = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve(undefined)));
  }
});

describe("runOpenLoop", () => {
  it("keeps sending on schedule while every answer is held: rate × duration requests, all in flight", async () => {
    const server = await holdingServer();
    const run = runOpenLoop({ url: server.url, body: {}, rate: 400, durationS: 0.25 });
    // A closed loop would stop here at its connection count and never get to 100.
    await server.arrived(100);
    server.release();
    const result = await run;
    expect(server.arrivals).toHaveLength(100);
    expect(result).toMatchObject({ requests: 100, errors: 0, refused: 0, offeredRate: 400 });
  });

  it("measures latency from the scheduled send, so a late sender counts against the target", async () => {
    const server = await holdingServer();
    const firsts = /** @type {number[]} */ ([]);
    const run = runOpenLoop({
      url: server.url,
      body: {},
      rate: 400,
      durationS: 0.05,
      onEvent: (event) => {
        if (event.type === "done" && event.index === 0)
          firsts.push(event.endMs - event.scheduledMs);
      },
    });
    await server.arrived(20);
    const held = server.release() - /** @type {number} */ (server.arrivals[0]);
    const result = await run;
    expect(result.requests).toBe(20);
    expect(firsts).toHaveLength(1);
    expect(firsts[0]).toBeGreaterThanOrEqual(held);
    expect(result.p99).toBeGreaterThanOrEqual(firsts[0]);
  });

  it("counts a send the generator made late from its schedule, not from when it got round to it", async () => {
    const server = await holdingServer(undefined, (res) => res.end("{}"));
    server.release();
    /** @type {Array<{ scheduledMs: number, sentMs: number, endMs: number }>} */
    const done = [];
    let blockedMs = 0;
    const run = runOpenLoop({
      url: server.url,
      body: {},
      rate: 400,
      durationS: 0.1,
      onEvent: (event) => {
        if (event.type === "done") done.push(event);
        if (event.type === "done" && event.index === 0) {
          // Hold the generator's own event loop: the requests due meanwhile go out late.
          const start = performance.now();
          while (performance.now() - start < 30);
          blockedMs = performance.now() - start;
        }
      },
    });
    const result = await run;
    expect(result.requests).toBe(40);
    const late = done.filter((d) => d.sentMs - d.scheduledMs >= blockedMs / 2);
    expect(late.length).toBeGreaterThan(0);
    expect(result.lateSends).toBeGreaterThanOrEqual(late.length);
    expect(result.sendLagP99).toBeGreaterThanOrEqual(blockedMs / 2);
    // From the actual send, the late requests look as quick as the rest.
    const worstLag = Math.max(...done.map((d) => d.sentMs - d.scheduledMs));
    expect(result.p99).toBeGreaterThanOrEqual(worstLag);
    expect(result.p99).toBeGreaterThan(result.sentP99);
  });

  it("refuses a request when maxInFlight are already open and counts it as an error", async () => {
    const server = await holdingServer();
    let refused = 0;
    /** @type {() => void} */
    let allRefused = () => {};
    const refusedAll = new Promise((resolve) => {
      allRefused = () => resolve(undefined);
    });
    const run = runOpenLoop({
      url: server.url,
      body: {},
      rate: 400,
      durationS: 0.05,
      maxInFlight: 5,
      onEvent: (event) => {
        if (event.type === "refused" && ++refused === 15) allRefused();
      },
    });
    await Promise.all([server.arrived(5), refusedAll]);
    server.release();
    const result = await run;
    expect(server.arrivals).toHaveLength(5);
    expect(result).toMatchObject({ requests: 5, refused: 15, errors: 15 });
  });

  it("reads a streamed body to its end: TTFB at the first chunk, latency at the last", async () => {
    const chunk = "data: x\n\n";
    const server = await holdingServer(
      (res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(chunk);
      },
      (res) => res.end(chunk.repeat(99)),
    );
    /** @type {Array<{ firstByteMs: number, endMs: number, bytes: number }>} */
    const done = [];
    let firstBytes = 0;
    /** @type {() => void} */
    let allStarted = () => {};
    const started = new Promise((resolve) => {
      allStarted = () => resolve(undefined);
    });
    const run = runOpenLoop({
      url: server.url,
      body: {},
      rate: 400,
      durationS: 0.025,
      onEvent: (event) => {
        if (event.type === "first-byte" && ++firstBytes === 10) allStarted();
        if (event.type === "done") done.push(event);
      },
    });
    await started;
    const releasedAt = server.release();
    const result = await run;
    expect(result.requests).toBe(10);
    expect(done).toHaveLength(10);
    for (const d of done) {
      expect(d.bytes).toBe(chunk.length * 100);
      expect(d.firstByteMs).toBeLessThan(releasedAt);
      expect(d.endMs).toBeGreaterThanOrEqual(releasedAt);
    }
    expect(result.ttfbP99).toBeLessThan(result.p50);
  });

  it("stops and rejects when its signal aborts", async () => {
    const server = await holdingServer();
    const controller = new AbortController();
    const run = runOpenLoop({
      url: server.url,
      body: {},
      rate: 400,
      durationS: 10,
      signal: controller.signal,
    });
    await server.arrived(3);
    controller.abort(new Error("stop"));
    await expect(run).rejects.toThrow("stop");
  });
});
