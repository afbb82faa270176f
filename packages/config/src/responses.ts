import * as z from "zod";
import { positiveInt, seconds, withoutBlanks } from "./fields.js";

export const DEFAULT_RESPONSES_TTL_SECONDS = 3600;
export const DEFAULT_RESPONSES_MAX_STORED = 10_000;

/** The Responses API's stored responses (`store: true`, `previous_response_id`). */
export const responsesFields = z.object({
  /** Seconds a stored response stays readable and continuable. */
  ttl: seconds.default(DEFAULT_RESPONSES_TTL_SECONDS),
  /** The most responses kept; one more evicts the oldest. */
  max_stored: positiveInt.default(DEFAULT_RESPONSES_MAX_STORED),
});

export const responsesSchema = z.preprocess((value) => withoutBlanks(value), responsesFields);
