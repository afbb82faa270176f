import type { StrategyRecord } from "./types.js";

/**
 * A run's strategy record as the `x_aiproxy` object the renderers attach
 * (snake_case, as on every wire): for two-model runs `{tool_backend,
 * decisions}`, for deferred ones `{tool_loading: "deferred", searches, loaded}`.
 */
export function strategyJson(record: StrategyRecord): Record<string, unknown> {
  if (record.kind === "deferred") {
    return { tool_loading: "deferred", searches: record.searches, loaded: record.loaded };
  }
  return {
    ...(record.toolBackend !== undefined && { tool_backend: record.toolBackend }),
    decisions: record.decisions.map((d) => ({
      round: d.round,
      tool_calls: d.toolCalls,
      confidence: d.confidence,
      executed: d.executed,
      ...(d.fallback && { fallback: true }),
      ...(d.errors && { errors: d.errors }),
      ...(d.results && {
        results: d.results.map((r) => ({ name: r.name, content: r.content, is_error: r.isError })),
      }),
    })),
  };
}
