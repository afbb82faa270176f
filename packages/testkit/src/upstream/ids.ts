import { createHash, randomBytes } from "node:crypto";

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += alphanumeric[byte % alphanumeric.length];
  return out;
}

/** Id shapes as the providers send them, so adapters that sniff prefixes see the real thing. */
export const ids = {
  chatCompletion: () => `chatcmpl-${randomToken(29)}`,
  openaiToolCall: () => `call_${randomToken(24)}`,
  openaiRequest: () => `req_${randomBytes(16).toString("hex")}`,
  systemFingerprint: () => `fp_${randomBytes(5).toString("hex")}`,
  anthropicMessage: () => `msg_01${randomToken(22)}`,
  anthropicToolUse: () => `toolu_01${randomToken(22)}`,
  anthropicRequest: () => `req_011C${randomToken(20)}`,
};

/**
 * Deterministic in the thinking text, so a test can check that an adapter sent
 * the block back unchanged on the next turn of a tool loop.
 */
export function thinkingSignature(thinking: string): string {
  const digest = createHash("sha256").update(`aiproxy-testkit:${thinking}`).digest();
  return Buffer.concat([Buffer.from([0x12, 0xa4, 0x01]), digest, digest]).toString("base64");
}
