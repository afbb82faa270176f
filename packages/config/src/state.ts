import * as z from "zod";
import { seconds, withoutBlanks } from "./fields.js";

/**
 * Where shared state lives: `file` (the default: one process, admin changes
 * in `admin.persist_path`) or `redis`, shared by every replica that names
 * the same Redis and `key_prefix`.
 */
export const stateFields = z
  .object({
    store: z.enum(["file", "redis"]).default("file"),
    /** `redis://[:password@]host:port[/db]` (or `rediss://`); required for `store: redis`. */
    redis_url: z.string().trim().min(1).optional(),
    /** Prefixes every key, so several gateways can share one Redis. */
    key_prefix: z.string().default("aiproxy:"),
    /** Seconds between full re-reads of the shared config, healing a missed change message. */
    resync_interval: seconds.default(5),
  })
  .superRefine((state, ctx) => {
    if (state.store === "redis" && !state.redis_url)
      ctx.addIssue({
        code: "custom",
        path: ["redis_url"],
        message: "is required when store is redis (set it from REDIS_URL)",
      });
    if (state.redis_url && !/^rediss?:\/\//.test(state.redis_url))
      ctx.addIssue({
        code: "custom",
        path: ["redis_url"],
        message: "must start with redis:// or rediss://",
      });
  });

export const stateSchema = z
  .preprocess((value) => withoutBlanks(value), stateFields)
  .default({ store: "file", key_prefix: "aiproxy:", resync_interval: 5 });
