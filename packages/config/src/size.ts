import * as z from "zod";

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};
const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/** `10mb` -> 10485760. Units are binary (1kb = 1024 bytes); a bare number is bytes. */
export function parseSize(value: string): number | undefined {
  const match = SIZE.exec(value);
  const unit = UNITS[(match?.[2] ?? "").toLowerCase()];
  if (!match || unit === undefined) return undefined;
  return Math.floor(Number(match[1]) * unit);
}

/** A size in bytes: a number, or text such as "10mb"; more than zero. */
export const byteSize = z
  .union([z.number(), z.string()], {
    error: () => 'expected a size: a number of bytes or text such as "10mb" or "512kb"',
  })
  .transform((value, ctx) => {
    const bytes = typeof value === "number" ? value : parseSize(value);
    if (bytes === undefined || !Number.isFinite(bytes) || bytes < 1) {
      ctx.addIssue({
        code: "custom",
        input: value,
        message: `invalid size ${JSON.stringify(value)}: expected a positive number of bytes or text such as "10mb" or "512kb"`,
      });
      return z.NEVER;
    }
    return Math.floor(bytes);
  });
