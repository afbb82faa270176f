import { randomBytes } from "node:crypto";

const ID_BYTES = 24;
// Random bytes for many ids at once, as Node's randomUUID keeps them: each
// randomBytes call is a trip into the CSPRNG (~20 µs under load), and a
// streamed response takes three or more ids.
const POOL_BYTES = ID_BYTES * 128;
let pool = Buffer.alloc(0);
let offset = 0;

/** `<prefix>_` and 48 hex characters, the shape of OpenAI's response and item ids. */
export function responsesId(
  prefix: "resp" | "msg" | "fc" | "mcp" | "mcpl" | "mcpr" | "rs",
): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const id = pool.toString("hex", offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return `${prefix}_${id}`;
}
