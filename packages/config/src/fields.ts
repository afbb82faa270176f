import * as z from "zod";
import { isPlainObject } from "./env.js";

/*
 * Building blocks shared by the schemas. Values from `${VAR}` are always
 * strings, so numeric and boolean fields accept their string forms too.
 */

const NUMBER_TEXT = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
const TRUE_TEXT = new Set(["true", "yes", "on", "1"]);
const FALSE_TEXT = new Set(["false", "no", "off", "0"]);

function toNumber(value: unknown): unknown {
  return typeof value === "string" && NUMBER_TEXT.test(value) ? Number(value) : value;
}

function toBoolean(value: unknown): unknown {
  if (typeof value === "string") {
    const text = value.trim().toLowerCase();
    if (TRUE_TEXT.has(text)) return true;
    if (FALSE_TEXT.has(text)) return false;
  }
  if (value === 1) return true;
  if (value === 0) return false;
  return value;
}

/** A number that also accepts its string form ("8000"). */
export function numeric<T extends z.ZodType<number, number>>(inner: T) {
  return z.preprocess(toNumber, inner) as unknown as z.ZodType<number, number | string>;
}

/** A boolean that also accepts "true"/"false", "yes"/"no", "on"/"off", "1"/"0". */
export const boolean = z.preprocess(toBoolean, z.boolean()) as unknown as z.ZodType<
  boolean,
  boolean | string
>;

/** What `fromText` makes of a schema: the same output, and string input where it coerces. */
export type FromText<S extends z.ZodType> = z.ZodType<
  z.output<S>,
  z.input<S> | (z.output<S> extends number | boolean ? string : never)
>;

/**
 * A schema defined elsewhere (core's generation parameters) as config reads
 * it: numbers and booleans also accept their string forms, and a string must
 * not be blank, as config fields are elsewhere.
 */
export function fromText<S extends z.ZodType>(schema: S): FromText<S> {
  const type = (schema as unknown as z.core.$ZodType)._zod.def.type;
  if (type === "number") return z.preprocess(toNumber, schema) as unknown as FromText<S>;
  if (type === "boolean") return z.preprocess(toBoolean, schema) as unknown as FromText<S>;
  if (type === "string" && schema instanceof z.ZodString)
    return schema.trim().min(1) as unknown as FromText<S>;
  return schema as unknown as FromText<S>;
}

/** Seconds, fractions allowed, more than zero. */
export const seconds = numeric(z.number().positive());
export const nonNegativeSeconds = numeric(z.number().nonnegative());
export const nonNegativeInt = numeric(z.number().int().nonnegative());
export const positiveInt = numeric(z.number().int().positive());

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const name = z.string().regex(NAME_PATTERN, {
  error: (issue) =>
    `invalid name ${JSON.stringify(issue.input)}: use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
});

/** A required string that is not blank. */
export const text = z.string().trim().min(1);

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** An absolute http(s) URL, without trailing slashes. */
export const httpUrl = z
  .string()
  .trim()
  .refine(isHttpUrl, {
    error: (issue) =>
      `invalid URL ${JSON.stringify(issue.input)}: expected an absolute http:// or https:// URL`,
  })
  .transform((value) => value.replace(/\/+$/, ""));

/** Header and environment values: YAML numbers and booleans are written as text. */
const scalarText = z.preprocess(
  (value) => (typeof value === "number" || typeof value === "boolean" ? String(value) : value),
  z.string(),
) as unknown as z.ZodType<string, string | number | boolean>;

export const stringMap = z.record(z.string(), scalarText);

/**
 * HTTP headers, values trimmed as fetch would; one whose value is blank (an
 * unset `${VAR:-}`) is not sent at all.
 */
export const headerMap = stringMap.transform((headers): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value.trim()) out[name] = value.trim();
  return out;
});

/** Command-line arguments: `[--port, 8080]` is fine in YAML. */
export const args = z.array(scalarText);

/** A list of strings, or one string split on commas; blanks dropped. */
export function stringList(split: boolean) {
  return z.preprocess(
    (value) => {
      if (value === null || value === undefined) return [];
      if (typeof value === "string") return split ? value.split(",") : [value];
      return value;
    },
    z.array(z.string()).transform((items) => items.map((item) => item.trim()).filter(Boolean)),
  ) as unknown as z.ZodType<string[], string | string[] | null>;
}

/**
 * First-level keys set to null or "" mean "not set": that is how YAML reads
 * `key:` and how `${VAR:-}` reads when VAR is unset, and then the default
 * (or the "required" error) applies.
 */
export function withoutBlanks(value: unknown, aliases: Record<string, string[]> = {}): unknown {
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null && child !== "") out[key] = child;
  }
  for (const [canonical, names] of Object.entries(aliases)) {
    if (out[canonical] !== undefined) continue;
    const alias = names.find((alias) => out[alias] !== undefined);
    if (alias) out[canonical] = out[alias];
  }
  return out;
}
