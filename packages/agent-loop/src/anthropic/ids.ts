import { pooledRandomBytes } from "../random.js";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `msg_` and 24 base62 characters, the shape of Anthropic's message ids. */
export function messageId(): string {
  let id = "msg_";
  for (const byte of pooledRandomBytes(24)) id += ALPHABET[byte % 62];
  return id;
}
