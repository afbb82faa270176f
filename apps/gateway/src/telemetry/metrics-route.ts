import { type AdminPolicy, safeEqual } from "@aiproxy/auth";
import { AuthenticationError, NotFoundError } from "@aiproxy/core";
import type { Handler } from "hono";
import type { GatewayEnv } from "../env.js";
import type { GatewayTelemetry } from "./telemetry.js";

/**
 * `GET /metrics` in Prometheus text format, guarded like admin: open on a
 * loopback address without keys, else the admin key or `metrics.api_key`
 * (a key for scrapers that cannot change anything).
 */
export function metricsRoute(
  telemetry: GatewayTelemetry,
  policy: AdminPolicy,
  metricsKey: string | undefined,
): Handler<GatewayEnv> {
  const key = metricsKey?.trim() || undefined;
  return async (c) => {
    const metrics = telemetry.metrics;
    if (!metrics)
      throw new NotFoundError({ message: "Metrics are disabled (telemetry.metrics.enabled)" });
    if (!(key && carriesKey(c.req.raw, key))) {
      const refusal = policy.check(c.req.raw);
      // With a metrics key, the refusal names it rather than the admin key.
      if (refusal && key)
        throw new AuthenticationError({
          message:
            "Missing or invalid metrics key: send telemetry.metrics.api_key as `Authorization: Bearer <key>`.",
          headers: { "www-authenticate": "Bearer" },
        });
      if (refusal) throw refusal;
    }
    const { contentType, body } = await metrics.scrape();
    return c.body(body, 200, { "content-type": contentType, "cache-control": "no-store" });
  };
}

function carriesKey(request: Request, key: string): boolean {
  const sent = [
    request.headers
      .get("authorization")
      ?.replace(/^Bearer\s+/i, "")
      .trim(),
    request.headers.get("x-api-key")?.trim(),
  ].filter((value): value is string => !!value);
  let matched = false;
  for (const value of sent) matched = safeEqual(value, key) || matched;
  return matched;
}
