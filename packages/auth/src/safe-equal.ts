import { createHash, timingSafeEqual } from "node:crypto";

/** SHA-256 of a UTF-8 string. */
export function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * Constant-time string comparison. Both sides are hashed first, so the
 * comparison takes the same time whatever the lengths and reveals neither
 * (`timingSafeEqual` alone throws on a length mismatch, which leaks it).
 */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}
