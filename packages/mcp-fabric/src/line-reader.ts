/** How much of an oversized line is kept at each end: enough to find its JSON-RPC id. */
export const EDGE_BYTES = 512;

export interface OversizedLine {
  /** The line's length in bytes. */
  bytes: number;
  /** Its first and last `EDGE_BYTES` bytes (overlapping for a short line). */
  head: string;
  tail: string;
}

export interface LineReaderOptions {
  /** The longest line delivered, in bytes, not counting the newline. */
  maxBytes: number;
  onLine: (line: string) => void;
  /** A longer line: skipped while it streams in, never held in memory whole. */
  onOversized: (line: OversizedLine) => void;
}

/**
 * Splits a byte stream into newline-terminated lines (a trailing `\r` is
 * dropped), holding at most `maxBytes` of any one line: a longer line is
 * discarded as it arrives, keeping only its two ends, so one huge message
 * costs neither the memory nor the rest of the stream.
 */
export class LineReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Set while an oversized line is being skipped. */
  private skipping: { head: Buffer; tail: Buffer; bytes: number } | undefined;

  constructor(private readonly options: LineReaderOptions) {}

  push(chunk: Buffer): void {
    let rest = chunk;
    while (rest.length > 0) {
      const newline = rest.indexOf(0x0a);
      const piece = newline === -1 ? rest : rest.subarray(0, newline);
      rest = newline === -1 ? Buffer.alloc(0) : rest.subarray(newline + 1);
      this.take(piece);
      if (newline !== -1) this.endLine();
    }
  }

  /** Drops a partial line, e.g. when the stream ends. */
  clear(): void {
    this.chunks = [];
    this.size = 0;
    this.skipping = undefined;
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.skipping) {
      this.skipping.bytes += piece.length;
      this.skipping.tail = lastBytes(Buffer.concat([this.skipping.tail, lastBytes(piece)]));
      return;
    }
    if (this.size + piece.length <= this.options.maxBytes) {
      this.chunks.push(piece);
      this.size += piece.length;
      return;
    }
    const held = Buffer.concat([...this.chunks, piece]);
    this.skipping = {
      head: Buffer.from(held.subarray(0, EDGE_BYTES)),
      tail: Buffer.from(lastBytes(held)),
      bytes: held.length,
    };
    this.chunks = [];
    this.size = 0;
  }

  private endLine(): void {
    const skipped = this.skipping;
    if (skipped) {
      this.skipping = undefined;
      this.options.onOversized({
        bytes: skipped.bytes,
        head: skipped.head.toString("utf8"),
        tail: stripCr(skipped.tail.toString("utf8")),
      });
      return;
    }
    const line = stripCr(Buffer.concat(this.chunks).toString("utf8"));
    this.chunks = [];
    this.size = 0;
    if (line.trim() !== "") this.options.onLine(line);
  }
}

function lastBytes(buffer: Buffer): Buffer {
  return buffer.length <= EDGE_BYTES ? buffer : buffer.subarray(buffer.length - EDGE_BYTES);
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
