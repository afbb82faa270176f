import fc from "fast-check";

/**
 * Arbitraries of request bodies as JSON *text*, so a body can hold what a JS
 * value cannot round-trip (1e400, a lone surrogate escape, duplicate keys,
 * 20,000 levels of nesting that JSON.stringify would overflow on) and what a
 * parser must refuse (truncation, garbage).
 */

export const j = (value: unknown): string => JSON.stringify(value) ?? "null";

/** Keys that reach prototypes or look like methods when a body is spread or merged. */
export const PROTOTYPE_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
  "then",
] as const;

const numberText = fc.oneof(
  fc.constantFrom(
    "1e309",
    "-1e309",
    "1e-400",
    "1E+999999",
    "123456789012345678901234567890",
    "-0",
    "9007199254740993",
    "0.1e1",
  ),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(j),
);

const stringText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }).map(j) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 20 }).map(j) },
  // What JSON.stringify never writes: lone surrogates, NUL and control escapes.
  fc.constantFrom('"\\ud800"', '"\\udfff x"', '"a\\u0000b"', '"\\u202e\\u0007"', '"\\uFEFF"'),
  fc.integer({ min: 1_000, max: 60_000 }).map((n) => j("x".repeat(n))),
);

const scalarText = fc.oneof(
  { weight: 3, arbitrary: stringText },
  { weight: 2, arbitrary: numberText },
  fc.constantFrom("true", "false", "null"),
);

export const keyText = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS).map(j) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }).map(j) },
  fc.string({ unit: "binary", maxLength: 8 }).map(j),
  fc.integer({ min: 200, max: 20_000 }).map((n) => j("k".repeat(n))),
);

/** Objects or arrays nested `levels` deep around a scalar; the shape JSON.stringify cannot make. */
const deepText = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 50, max: 5_000 }) }, fc.constant(20_000)),
    fc.constantFrom("array", "object", "schema", "proto"),
    scalarText,
  )
  .map(([levels, shape, leaf]) => {
    const [open, close] = {
      array: ["[", "]"],
      object: ['{"a":', "}"],
      schema: ['{"type":"object","properties":{"p":', "}}"],
      proto: ['{"__proto__":', "}"],
    }[shape] as [string, string];
    return `${open.repeat(levels)}${leaf}${close.repeat(levels)}`;
  });

/** Any JSON text: scalars, small trees with hostile keys, and very deep values. */
export const anyJsonText: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 4, arbitrary: scalarText },
    fc.array(tie("node"), { maxLength: 4 }).map((items) => `[${items.join(",")}]`),
    fc
      .array(fc.tuple(keyText, tie("node")), { maxLength: 4 })
      .map((entries) => `{${entries.map(([k, v]) => `${k}:${v}`).join(",")}}`),
    deepText,
  ),
})).node;

/**
 * How a surface describes its body. The same description yields tame bodies
 * (plausible values only, so many are valid and reach the handler's 2xx
 * path) and wild ones (a field may hold any JSON at all, and hostile keys
 * are added).
 */
export interface BodyKit {
  /** `plausible`, or in a wild body sometimes any JSON (the wrong type, huge, deep, hostile). */
  mostly(plausible: fc.Arbitrary<string>): fc.Arbitrary<string>;
  /** JSON texts: a tame body takes one of `valid`; a wild one also `invalid` ones, or anything. */
  oneOf(valid: string[], invalid?: string[]): fc.Arbitrary<string>;
  /**
   * An object of known fields: in a tame body the `required` ones are always
   * there and the rest may be; in a wild one any may be missing, and up to two
   * hostile extras come along (prototype keys, random or huge keys), which may
   * repeat a known key: in JSON the last duplicate wins.
   */
  object(fields: Record<string, fc.Arbitrary<string>>, required?: string[]): fc.Arbitrary<string>;
  /** A list; tame ones hold at least `minLength` items. */
  array(item: fc.Arbitrary<string>, maxLength?: number, minLength?: number): fc.Arbitrary<string>;
  /** A string field: one of `values`, or in a wild body (or with no values) any text. */
  text(...values: string[]): fc.Arbitrary<string>;
}

export function bodyKit(wild: boolean): BodyKit {
  const kit: BodyKit = {
    mostly: (plausible) =>
      wild
        ? fc.oneof({ weight: 4, arbitrary: plausible }, { weight: 1, arbitrary: anyJsonText })
        : plausible,
    oneOf(valid, invalid = []) {
      const good = fc.constantFrom(...valid);
      if (!wild) return good;
      const bad = invalid.length > 0 ? [{ weight: 2, arbitrary: fc.constantFrom(...invalid) }] : [];
      return fc.oneof({ weight: 3, arbitrary: good }, ...bad, {
        weight: 1,
        arbitrary: anyJsonText,
      });
    },
    object(fields, required = []) {
      const known = Object.entries(fields).map(([key, value]) => {
        const entry = value.map((v) => `${j(key)}:${v}`);
        if (!wild && required.includes(key)) return entry;
        return fc.option(entry, { freq: wild ? 4 : 2, nil: undefined });
      });
      const extraKey = fc.oneof(keyText, fc.constantFrom(...Object.keys(fields)).map(j));
      const extras = wild
        ? fc.array(
            fc.tuple(extraKey, anyJsonText).map(([k, v]) => `${k}:${v}`),
            { maxLength: 2 },
          )
        : fc.constant([]);
      return fc.tuple(fc.tuple(...known), extras, fc.boolean()).map(([entries, more, first]) => {
        const present = entries.filter((e): e is string => e !== undefined);
        return `{${(first ? [...more, ...present] : [...present, ...more]).join(",")}}`;
      });
    },
    array: (item, maxLength = 3, minLength = 0) =>
      fc
        .array(item, { maxLength, minLength: wild ? 0 : minLength })
        .map((items) => `[${items.join(",")}]`),
    text(...values) {
      if (values.length === 0) return wild ? stringText : fc.string({ maxLength: 12 }).map(j);
      const given = fc.constantFrom(...values).map(j);
      return wild
        ? fc.oneof({ weight: 3, arbitrary: given }, { weight: 1, arbitrary: stringText })
        : given;
    },
  };
  return kit;
}

/**
 * A whole request body for a surface: tame and wild bodies of its own shape,
 * and also any JSON, JSON cut short, a BOM, not JSON at all, or nothing.
 */
export function bodyText(shape: (kit: BodyKit) => fc.Arbitrary<string>): fc.Arbitrary<string> {
  const tame = shape(bodyKit(false));
  const wild = shape(bodyKit(true));
  return fc.oneof(
    { weight: 6, arbitrary: tame },
    { weight: 6, arbitrary: wild },
    { weight: 2, arbitrary: anyJsonText },
    { weight: 1, arbitrary: wild.map((t) => t.slice(0, Math.max(0, t.length - 1))) },
    { weight: 1, arbitrary: tame.map((t) => `\uFEFF${t}`) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "null", "[]", "{}", '""', "0") },
  );
}

/** The Content-Type sent: nearly always JSON, sometimes what must be a 415. */
export const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "application/merge-patch+json",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
      "application/jsonx",
      "json",
    ),
  },
);
