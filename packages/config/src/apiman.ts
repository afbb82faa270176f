import * as z from "zod";
import { isPlainObject } from "./env.js";
import {
  httpUrl,
  nonNegativeInt,
  nonNegativeSeconds,
  seconds,
  text,
  withoutBlanks,
} from "./fields.js";

/** Ask the Apiman gateway whether the caller's key may call a probe API; cache the answer. */
export const apimanProbeFields = z.object({
  mode: z.literal("gateway_probe"),
  gateway_url: httpUrl,
  /** The managed API to probe, e.g. `org/api/1.0`. */
  probe_api: z.string().optional(),
  /** The path to request on it. */
  probe_path: z.string().optional(),
  api_key_header: text.default("X-API-Key"),
  cache_ttl: nonNegativeSeconds.default(60),
  cache_max_entries: nonNegativeInt.default(10_000),
  timeout: seconds.default(5),
});

/** Trust a header that Apiman sets after it authenticated the caller, with a shared secret. */
export const apimanTrustedHeaderFields = z.object({
  mode: z.literal("trusted_header"),
  header: text,
  secret: text,
});

export const apimanSchema = z.preprocess(
  (value) => {
    const out = withoutBlanks(value);
    // "gateway-probe" and "Trusted_Header" mean the same modes.
    if (isPlainObject(out) && typeof out.mode === "string")
      out.mode = out.mode.trim().toLowerCase().replaceAll("-", "_");
    return out;
  },
  z.discriminatedUnion("mode", [apimanProbeFields, apimanTrustedHeaderFields]),
);
