import type { HeaderReader } from "./answer.js";

/**
 * Seconds to wait before retrying, from `retry-after-ms` (OpenAI's, more
 * precise) or `Retry-After` (seconds or an HTTP date). Undefined when absent
 * or unparseable.
 */
export function parseRetryAfter(headers: HeaderReader, now = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value / 1000;
  }
  const raw = headers.get("retry-after");
  if (raw === null || raw.trim() === "") return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds : undefined;
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}
