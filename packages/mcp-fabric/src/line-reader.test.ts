import { describe, expect, it } from "vitest";
import { EDGE_BYTES, LineReader, type OversizedLine } from "./line-reader.js";

function reader(maxBytes: number) {
  const lines: string[] = [];
  const oversized: OversizedLine[] = [];
  const r = new LineReader({
    maxBytes,
    onLine: (line) => lines.push(line),
    onOversized: (line) => oversized.push(line),
  });
  return { push: (s: string) => r.push(Buffer.from(s)), lines, oversized };
}

describe("LineReader", () => {
  it("splits lines across chunks and drops a trailing \\r and empty lines", () => {
    const r = reader(100);
    r.push('{"a":');
    r.push('1}\r\n\n{"b":2}\n{"c"');
    expect(r.lines).toEqual(['{"a":1}', '{"b":2}']);
    r.push(":3}\n");
    expect(r.lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it("delivers a line of exactly maxBytes and skips a longer one, keeping its ends", () => {
    const r = reader(10);
    r.push(`${"a".repeat(10)}\n`);
    expect(r.lines).toEqual(["a".repeat(10)]);
    r.push(`{"head"${"x".repeat(3000)}`);
    r.push(`${"y".repeat(3000)}"tail"}\r\nnext\n`);
    expect(r.lines).toEqual(["a".repeat(10), "next"]);
    expect(r.oversized).toHaveLength(1);
    const [skipped] = r.oversized;
    // Counted as read, with the \r before the newline.
    expect(skipped!.bytes).toBe(7 + 3000 + 3000 + 7 + 1);
    expect(skipped!.head).toHaveLength(EDGE_BYTES);
    expect(skipped!.head.startsWith('{"head"x')).toBe(true);
    expect(skipped!.tail).toHaveLength(EDGE_BYTES - 1);
    expect(skipped!.tail.endsWith('y"tail"}')).toBe(true);
  });

  it("skips an oversized line that arrives in one chunk with others", () => {
    const r = reader(5);
    r.push(`ok\n${"z".repeat(50)}\nok2\n`);
    expect(r.lines).toEqual(["ok", "ok2"]);
    expect(r.oversized.map((line) => line.bytes)).toEqual([50]);
  });
});
