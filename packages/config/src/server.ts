import * as z from "zod";
import {
  boolean,
  nonNegativeSeconds,
  numeric,
  positiveInt,
  seconds,
  stringList,
  withoutBlanks,
} from "./fields.js";
import { byteSize } from "./size.js";

export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Deep enough for any real JSON Schema, far short of what overflows a recursive walker. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

export const serverFields = z.object({
  host: z.string().trim().min(1).default("127.0.0.1"),
  port: numeric(z.number().int().min(0).max(65_535)).default(8000),
  /** A list, or one comma-separated string (what an env var holds). */
  cors_origins: stringList(true).default([]),
  body_limit: byteSize.optional(),
  /** The output's name for body_limit; accepted as input so output round-trips. */
  body_limit_bytes: positiveInt.optional(),
  request_timeout: seconds.default(600),
  shutdown_grace: nonNegativeSeconds.default(30),
  /** Deepest nesting of objects and arrays a JSON request body may have. */
  max_json_depth: positiveInt.default(DEFAULT_MAX_JSON_DEPTH),
});

export const serverSchema = z.preprocess(
  (value) => withoutBlanks(value),
  serverFields.transform(({ body_limit, body_limit_bytes, ...rest }) => ({
    ...rest,
    body_limit_bytes: body_limit ?? body_limit_bytes ?? DEFAULT_BODY_LIMIT_BYTES,
  })),
);

export const adminFields = z.object({
  /** Absent (or empty) means no key: the gateway then serves admin on loopback only. */
  api_key: z.string().optional(),
  /** Absent means the gateway decides: true only when it listens on loopback. */
  allow_stdio: boolean.optional(),
  persist_path: z.string().optional(),
});

export const adminSchema = z.preprocess((value) => withoutBlanks(value), adminFields);
