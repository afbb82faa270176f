import { randomBytes } from "node:crypto";

// Random bytes for many ids at once, as Node's randomUUID keeps them: each
// randomBytes call is a trip into the CSPRNG (~20 µs under load), and a
// streamed response takes one id or more.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/** `size` fresh random bytes: a view of the pool, which is never handed out twice. */
export function pooledRandomBytes(size: number): Buffer {
  if (offset + size > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, size));
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + size);
  offset += size;
  return bytes;
}
