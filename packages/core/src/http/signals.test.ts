import { afterEach, describe, expect, it, vi } from "vitest";
import { TimeoutError } from "../errors.js";
import { deadline, sleep } from "./signals.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("sleep", () => {
  it("resolves after the delay", async () => {
    vi.useFakeTimers();
    let done = false;
    const p = sleep(100).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects with the signal's reason and clears its timer on abort", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const p = sleep(10_000, controller.signal);
    expect(vi.getTimerCount()).toBe(1);
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects at once when the signal is already aborted, without a timer", async () => {
    vi.useFakeTimers();
    const reason = new Error("already");
    await expect(sleep(10_000, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("detaches from the signal once it resolves", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    const slept = sleep(1, controller.signal);
    await vi.advanceTimersByTimeAsync(1);
    await slept;
    expect(remove).toHaveBeenCalledWith("abort", expect.any(Function));
  });
});

describe("deadline", () => {
  it("aborts with a TimeoutError naming what timed out", async () => {
    vi.useFakeTimers();
    const d = deadline(50, undefined, "Tool call");
    expect(d.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    expect(d.signal.aborted).toBe(true);
    expect(TimeoutError.isInstance(d.signal.reason)).toBe(true);
    expect((d.signal.reason as Error).message).toBe("Tool call timed out after 50 ms");
  });

  it("clear() stops the timer so it never fires", async () => {
    vi.useFakeTimers();
    const d = deadline(50, undefined, "x");
    expect(vi.getTimerCount()).toBe(1);
    d.clear();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(d.signal.aborted).toBe(false);
    d.clear(); // idempotent
  });

  it("propagates the parent's abort and reason", () => {
    const parent = new AbortController();
    const d = deadline(10_000, parent.signal, "x");
    const reason = new Error("client went away");
    parent.abort(reason);
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBe(reason);
    d.clear();
  });

  it("starts aborted when the parent already is", () => {
    const reason = new Error("before");
    const d = deadline(10_000, AbortSignal.abort(reason), "x");
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBe(reason);
    d.clear();
  });

  it("detaches from the parent on clear()", () => {
    const parent = new AbortController();
    const d = deadline(10_000, parent.signal, "x");
    d.clear();
    parent.abort();
    expect(d.signal.aborted).toBe(false);
  });

  it("has no timer when ms is undefined, zero or infinite", () => {
    vi.useFakeTimers();
    for (const ms of [undefined, 0, Number.POSITIVE_INFINITY]) {
      const d = deadline(ms, undefined, "x");
      expect(vi.getTimerCount()).toBe(0);
      d.clear();
    }
  });

  it("the timeout does not abort the parent", async () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const d = deadline(10, parent.signal, "x");
    await vi.advanceTimersByTimeAsync(10);
    expect(d.signal.aborted).toBe(true);
    expect(parent.signal.aborted).toBe(false);
    d.clear();
  });
});
