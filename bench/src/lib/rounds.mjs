// Interleaved rounds: every target runs once per round, in turn, so a burst of
// load from elsewhere on the machine lands on all targets alike instead of on
// whichever happened to run then. Each figure is reported as the median of the
// rounds with its spread (min and max).

/** The fields of a run that get a median and a spread. */
export const ROUND_FIELDS = /** @type {const} */ ([
  "cpuPerRequestMs",
  "rps",
  "p50",
  "p99",
  "ttfbP50",
  "ttfbP99",
  "rssMb",
  "serverCpuPerCallMs",
  // the open loop's (lib/open-loop.mjs)
  "sentP50",
  "sentP99",
  "sendLagP99",
  "lateSends",
]);

/** @param {number[]} xs */
export function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? /** @type {number} */ (sorted[mid])
    : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `run(target, round)` for each target in turn, `rounds` times over.
 * @template T, R
 * @param {{ rounds: number, targets: T[], run: (target: T, round: number) => Promise<R> }} options
 * @returns {Promise<Array<R & { round: number }>>}
 */
export async function interleave({ rounds, targets, run }) {
  const out = [];
  for (let round = 0; round < rounds; round++)
    for (const target of targets) out.push({ ...(await run(target, round)), round });
  return out;
}

/**
 * One row per (target, connections, ...key) with the median of each field
 * over its rounds, `spread[field] = [min, max]`, the rounds counted and the
 * errors summed.
 * @param {any[]} runs
 * @param {string[]} [keys] fields that identify a row besides `target`
 */
export function summarizeRounds(runs, keys = ["connections"]) {
  /** @type {Map<string, any[]>} */
  const groups = new Map();
  for (const run of runs) {
    const id = JSON.stringify([run.target, ...keys.map((k) => run[k])]);
    const group = groups.get(id) ?? [];
    group.push(run);
    groups.set(id, group);
  }
  return [...groups.values()].map((group) => {
    const first = group[0];
    /** @type {Record<string, any>} */
    const row = { target: first.target, rounds: group.length, spread: {} };
    for (const k of keys) row[k] = first[k];
    for (const field of ROUND_FIELDS) {
      const values = group
        .map((r) => r[field])
        .filter((v) => typeof v === "number" && !Number.isNaN(v));
      if (values.length === 0) continue;
      row[field] = median(values);
      row.spread[field] = [Math.min(...values), Math.max(...values)];
    }
    row.errors = group.reduce((sum, r) => sum + (r.errors ?? 0), 0);
    row.requests = group.reduce((sum, r) => sum + (r.requests ?? 0), 0);
    return row;
  });
}
