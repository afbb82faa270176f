import { pooledRandomBytes } from "../random.js";

/** `<prefix>_` and 48 hex characters, the shape of OpenAI's response and item ids. */
export function responsesId(
  prefix: "resp" | "msg" | "fc" | "mcp" | "mcpl" | "mcpr" | "rs",
): string {
  return `${prefix}_${pooledRandomBytes(24).toString("hex")}`;
}
