import { describe, expect, it } from "vitest";
import { RequestLog } from "../src/console/request-log.js";

const line = (n: number) => ({ requestId: `r${n}`, assistant: "a", status: 200 });

describe("RequestLog", () => {
  it("keeps the latest `capacity` lines, oldest first, as it wraps around", () => {
    const log = new RequestLog({ capacity: 3 });
    const ids = () => log.recent().map((l) => l.requestId);
    log.push(line(1));
    log.push(line(2));
    expect(ids()).toEqual(["r1", "r2"]);
    log.push(line(3));
    log.push(line(4));
    expect(ids()).toEqual(["r2", "r3", "r4"]);
    for (let n = 5; n <= 11; n++) log.push(line(n));
    expect(ids()).toEqual(["r9", "r10", "r11"]);
    expect(log.recent().map((l) => l.id)).toEqual([9, 10, 11]);
  });

  it("hands each new line to its listeners, and drops one that throws", () => {
    const log = new RequestLog({ capacity: 2 });
    const seen: string[] = [];
    log.subscribe((l) => seen.push(l.requestId));
    log.subscribe(() => {
      throw new Error("broken tail");
    });
    log.push(line(1));
    log.push(line(2));
    expect(seen).toEqual(["r1", "r2"]);
    expect(log.listenerCount).toBe(1);
  });

  it("keeps nothing with a capacity of 0", () => {
    const log = new RequestLog({ capacity: 0 });
    log.push(line(1));
    expect(log.recent()).toEqual([]);
  });
});
