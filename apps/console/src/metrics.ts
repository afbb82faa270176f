/** One scrape of `/metrics`: each series name summed over its labels. */
export type Scrape = { at: number; totals: Map<string, number> };

export function parseMetrics(text: string, at: number): Scrape {
  const totals = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[2]);
    if (!Number.isFinite(value)) continue;
    const name = match[1] as string;
    totals.set(name, (totals.get(name) ?? 0) + value);
  }
  return { at, totals };
}

export interface Rates {
  requestsPerSecond: number;
  latencyMs: number | undefined;
  tokensPerSecond: number;
  toolCallsPerSecond: number;
}

/** Rates between two scrapes; counters that went down (a restart) count from zero. */
export function ratesBetween(before: Scrape, after: Scrape): Rates {
  const seconds = Math.max((after.at - before.at) / 1000, 0.001);
  const delta = (name: string) => {
    const now = after.totals.get(name) ?? 0;
    const then = before.totals.get(name) ?? 0;
    return now >= then ? now - then : now;
  };
  const count = delta("aiproxy_request_duration_seconds_count");
  return {
    requestsPerSecond: delta("aiproxy_requests_total") / seconds,
    latencyMs:
      count > 0 ? (delta("aiproxy_request_duration_seconds_sum") / count) * 1000 : undefined,
    tokensPerSecond: delta("gen_ai_client_token_usage_sum") / seconds,
    toolCallsPerSecond: delta("aiproxy_tool_calls_total") / seconds,
  };
}
