import type { OversizedLine } from "./line-reader.js";

export type OversizedKind =
  /** A response to one of our requests: fail that request. */
  | { type: "response"; id: string | number }
  /** A request or notification from the server: nobody waits on it, so drop it. */
  | { type: "from-server"; method?: string }
  /** Nothing to attribute it to. */
  | { type: "unknown" };

const ID = String.raw`(-?\d+|"(?:[^"\\]|\\.)*")`;
/** `{"jsonrpc":"2.0","id":7,` at the start (Python SDKs put the id first). */
const HEAD_ID = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID}`);
/** `,"jsonrpc":"2.0","id":7}` at the end (the TypeScript SDK puts it last). */
const TAIL_ID = new RegExp(
  String.raw`[,{]\s*"id"\s*:\s*${ID}\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$`,
);
/** The first of the keys that tell a response from a request; the envelope's come before any payload's. */
const FIRST_KIND_KEY = /"(result|error|method)"\s*:\s*("(?:[^"\\]|\\.)*")?/;

function parseId(raw: string): string | number {
  return raw.startsWith('"') ? (JSON.parse(raw) as string) : Number(raw);
}

/**
 * What an oversized JSON-RPC line was, read from its two ends only: the
 * envelope's keys (`jsonrpc`, `id`, `result`/`error`/`method`) sit before or
 * after the payload, never inside it.
 */
export function classifyOversized(line: Pick<OversizedLine, "head" | "tail">): OversizedKind {
  const kind = FIRST_KIND_KEY.exec(line.head);
  if (kind?.[1] === "method") {
    return {
      type: "from-server",
      ...(kind[2] !== undefined && { method: JSON.parse(kind[2]) as string }),
    };
  }
  const id = HEAD_ID.exec(line.head)?.[1] ?? TAIL_ID.exec(line.tail)?.[1];
  if (kind && id !== undefined) return { type: "response", id: parseId(id) };
  return { type: "unknown" };
}
