/**
 * Clipping that keeps structure: instead of cutting the tail (where the ids
 * of a result's last section would go), every part of the text gets a fair
 * share of the budget and keeps its beginning. JSON is trimmed inside the
 * value (long strings shortened, long arrays shortened with a count of what
 * was cut); other text is split into sections (blank lines) and lines, each
 * keeping its start.
 */

/** Below this share an array item or a line is not worth keeping: later ones are dropped and counted. */
const MIN_PART = 24;
const ELLIPSIS = "…";

export function clipBalanced(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const note = (kept: number) =>
    `\n[clipped: ${text.length - kept} of ${text.length} characters cut; every item keeps its beginning]`;
  const room = Math.max(0, maxChars - note(text.length).length);
  let json: unknown;
  let isJson = false;
  try {
    json = JSON.parse(text);
    isJson = typeof json === "object" && json !== null;
  } catch {
    // Plain text.
  }
  // Markers take room the shares did not count; a few tighter passes make it fit.
  for (let budget = room; budget > 0; budget = Math.floor(budget * 0.85)) {
    const out = isJson ? JSON.stringify(shrinkJson(json, budget)) : shrinkText(text, budget);
    if (out.length <= room) return out + note(out.length);
  }
  return text.slice(0, room) + note(room);
}

/** Shares of `budget` for parts of the given sizes: small parts whole, the rest split evenly. */
function fairShares(sizes: number[], budget: number): number[] {
  const shares = new Array<number>(sizes.length).fill(0);
  const order = sizes.map((size, i) => ({ size, i })).sort((a, b) => a.size - b.size);
  let left = Math.max(0, budget);
  order.forEach(({ size, i }, k) => {
    const share = Math.min(size, Math.floor(left / (order.length - k)));
    shares[i] = share;
    left -= share;
  });
  return shares;
}

/**
 * Each part first gets its floor (the beginning it must keep), then the rest
 * of the budget is shared fairly over what each part has beyond its floor.
 */
function allocate(sizes: number[], floors: number[], budget: number): number[] {
  const total = floors.reduce((a, b) => a + b, 0);
  if (total >= budget) return fairShares(floors, budget);
  const extra = fairShares(
    sizes.map((size, i) => size - (floors[i] ?? 0)),
    budget - total,
  );
  return floors.map((floor, i) => floor + (extra[i] ?? 0));
}

/** How many leading parts fit when each keeps at least its floor (plus a separator). */
function fitting(floors: number[], budget: number): number {
  let used = 0;
  let count = 0;
  for (const floor of floors) {
    if (used + floor + 1 > budget) break;
    used += floor + 1;
    count++;
  }
  return Math.max(1, count);
}

function head(text: string, share: number): string {
  if (text.length <= share) return text;
  const keep = Math.max(1, share - 8);
  return `${text.slice(0, keep)}${ELLIPSIS}[+${text.length - keep}]`;
}

function lineFloor(line: string): number {
  return Math.min(line.length, MIN_PART);
}

function sectionFloor(section: string): number {
  const lines = section.split("\n");
  return lines.reduce((n, line) => n + lineFloor(line) + 1, 0);
}

function shrinkText(text: string, budget: number): string {
  const parts = text.split(/(\n\s*\n)/);
  // Separators are kept whole; the sections share what is left.
  const sections = parts.filter((_, i) => i % 2 === 0);
  const separators = parts.filter((_, i) => i % 2 === 1).reduce((n, s) => n + s.length, 0);
  const shares = allocate(
    sections.map((s) => s.length),
    sections.map(sectionFloor),
    budget - separators,
  );
  let b = 0;
  return parts
    .map((part, i) => (i % 2 === 1 ? part : shrinkLines(part, shares[b++] ?? 0)))
    .join("");
}

function shrinkLines(section: string, budget: number): string {
  if (section.length <= budget) return section;
  const lines = section.split("\n");
  const floors = lines.map(lineFloor);
  const fit = Math.min(lines.length, fitting(floors, budget));
  const dropped = lines.length - fit;
  const marker = dropped > 0 ? `\n[${dropped} more lines cut]` : "";
  const kept = lines.slice(0, fit);
  const shares = allocate(
    kept.map((l) => l.length),
    floors.slice(0, fit),
    budget - marker.length - (kept.length - 1),
  );
  return kept.map((line, i) => head(line, shares[i] ?? 0)).join("\n") + marker;
}

function size(value: unknown): number {
  return JSON.stringify(value)?.length ?? 4;
}

/** The least a JSON value is kept as: scalars whole, strings' beginnings, every key. */
function jsonFloor(value: unknown): number {
  if (typeof value === "string") return Math.min(size(value), MIN_PART);
  if (Array.isArray(value)) return 2 + value.reduce((n: number, v) => n + jsonFloor(v) + 1, 0);
  if (typeof value === "object" && value !== null)
    return 2 + Object.entries(value).reduce((n, [key, v]) => n + key.length + 4 + jsonFloor(v), 0);
  return size(value);
}

function shrinkJson(value: unknown, budget: number): unknown {
  if (size(value) <= budget) return value;
  if (typeof value === "string") return head(value, Math.max(budget - 2, MIN_PART - 2));
  if (Array.isArray(value)) {
    const floors = value.map(jsonFloor);
    const reserve = 32;
    const all = floors.reduce((a, b) => a + b + 1, 2) <= budget;
    const fit = all ? value.length : Math.min(value.length, fitting(floors, budget - 2 - reserve));
    const dropped = value.length - fit;
    const marker = dropped > 0 ? `[${dropped} more items cut]` : undefined;
    const room = budget - 2 - fit - (marker ? marker.length + 3 : 0);
    const kept = value.slice(0, fit);
    const shares = allocate(kept.map(size), floors.slice(0, fit), room);
    const out = kept.map((item, i) => shrinkJson(item, shares[i] ?? 0));
    if (marker) out.push(marker);
    return out;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    // Keys are never cut: a key is what tells an id from a title.
    const overhead = 2 + entries.reduce((n, [key]) => n + key.length + 4, 0);
    const shares = allocate(
      entries.map(([, v]) => size(v)),
      entries.map(([, v]) => jsonFloor(v)),
      budget - overhead,
    );
    return Object.fromEntries(entries.map(([key, v], i) => [key, shrinkJson(v, shares[i] ?? 0)]));
  }
  return value;
}
