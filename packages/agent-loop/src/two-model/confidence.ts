/**
 * The confidence a deciding model reported: a number at the top level of its
 * completion (`confidence`) or inside a top-level `x_*` object
 * (`x_needle.confidence`). Null when it reported none, which means trusted:
 * an ordinary tool-calling model works as a decider.
 */
export function reportedConfidence(extensions: Record<string, unknown> | undefined): number | null {
  if (!extensions) return null;
  const top = extensions.confidence;
  if (isFiniteNumber(top)) return top;
  for (const [key, value] of Object.entries(extensions)) {
    if (!key.startsWith("x_") || typeof value !== "object" || value === null) continue;
    const nested = (value as Record<string, unknown>).confidence;
    if (isFiniteNumber(nested)) return nested;
  }
  return null;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}
