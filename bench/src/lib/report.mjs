// Turning the measurements into RESULTS.md. Pure functions of the results
// object, so the formatting can be tested without running a benchmark.

/** @param {number | null | undefined} value @param {number} [digits] */
export function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return "∞";
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(Math.min(digits, 1));
  return value.toFixed(digits);
}

/** @param {number | null | undefined} value */
export function ratio(value) {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : `${fmt(value)}×`;
}

/** @param {string[]} header @param {Array<Array<string | number>>} rows */
export function markdownTable(header, rows) {
  const line = (/** @type {Array<string | number>} */ cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** @param {boolean | null} ok */
export function verdict(ok) {
  if (ok === null) return "not measured";
  return ok ? "met" : "**missed**";
}
