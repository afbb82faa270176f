import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AbortedError, TimeoutError, UpstreamError } from "../errors.js";
import { readSse } from "./sse.js";

const encoder = new TextEncoder();

/** A body that yields the given chunks, then either ends or stays open; records cancellation. */
function body(chunks: (string | Uint8Array)[], { end = true } = {}) {
  const state = { cancelled: false, cancelReason: undefined as unknown };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks)
        controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      if (end) controller.close();
    },
    cancel(reason) {
      state.cancelled = true;
      state.cancelReason = reason;
    },
  });
  return { stream, state };
}

afterEach(() => {
  vi.useRealTimers();
});

async function collect(stream: ReadableStream<Uint8Array>) {
  const events = [];
  for await (const event of readSse(stream)) events.push(event);
  return events;
}

describe("readSse", () => {
  it("parses events split across chunks at any byte", async () => {
    const text = 'event: delta\ndata: {"a":1}\n\ndata: second\nid: 7\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const { stream } = body([text.slice(0, cut), text.slice(cut)]);
      const events = await collect(stream);
      expect(events).toEqual([
        { event: "delta", data: '{"a":1}', id: undefined },
        { event: undefined, data: "second", id: "7" },
      ]);
    }
  });

  it("joins multi-line data with newlines and ignores comments", async () => {
    const { stream } = body([
      ": keep-alive\n",
      "data: line one\ndata: line two\n",
      "data: three\n\n",
    ]);
    const events = await collect(stream);
    expect(events.map((e) => e.data)).toEqual(["line one\nline two\nthree"]);
  });

  it("handles CRLF line endings and one byte per chunk", async () => {
    const text = "data: a\r\n\r\ndata: b\r\n\r\n";
    const { stream } = body([...text].map((c) => c));
    expect((await collect(stream)).map((e) => e.data)).toEqual(["a", "b"]);
  });

  it("decodes a multi-byte character split between chunks", async () => {
    const bytes = encoder.encode("data: héllo ☃\n\n");
    const snowman = bytes.indexOf(0xe2);
    const { stream } = body([bytes.slice(0, snowman + 1), bytes.slice(snowman + 1)]);
    expect((await collect(stream))[0]?.data).toBe("héllo ☃");
  });

  it("yields nothing for an empty body and does not cancel a finished one", async () => {
    const { stream, state } = body([]);
    expect(await collect(stream)).toEqual([]);
    expect(state.cancelled).toBe(false);
  });

  it("cancels the body when the consumer breaks out", async () => {
    const { stream, state } = body(["data: 1\n\n", "data: 2\n\n"], { end: false });
    for await (const event of readSse(stream)) {
      expect(event.data).toBe("1");
      break;
    }
    expect(state.cancelled).toBe(true);
    // The lock is released, so the stream is no longer held by the reader.
    expect(stream.locked).toBe(false);
  });

  it("hands over every event of one chunk in order, then reads on", async () => {
    const { stream, state } = body(["data: 1\n\ndata: 2\n\ndata: 3\n\n", "data: 4\n\n"]);
    expect((await collect(stream)).map((event) => event.data)).toEqual(["1", "2", "3", "4"]);
    expect(state.cancelled).toBe(false);
  });

  it("returning while a read waits ends that read, cancels the body and releases it", async () => {
    const { stream, state } = body(["data: 1\n\n"], { end: false });
    const events = readSse(stream);
    expect((await events.next()).value?.data).toBe("1");
    const waiting = events.next();
    await events.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(state.cancelled).toBe(true);
    expect(stream.locked).toBe(false);
    expect(await events.next()).toEqual({ done: true, value: undefined });
  });

  it("fails with a TimeoutError when the stream stalls, and cancels the body", async () => {
    const { stream, state } = body(["data: first\n\n"], { end: false });
    const seen: string[] = [];
    const started = Date.now();
    const error = await (async () => {
      for await (const event of readSse(stream, { idleTimeoutMs: 50 })) seen.push(event.data);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["first"]);
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("50 ms");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(state.cancelled).toBe(true);
  });

  it("the idle timer restarts with each chunk", async () => {
    vi.useFakeTimers();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
    });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of readSse(stream, { idleTimeoutMs: 400 })) seen.push(event.data);
    })();
    // 6 x 300 ms is well over the 400 ms idle limit in total, but no single gap is.
    for (let i = 0; i < 6; i++) {
      await vi.advanceTimersByTimeAsync(300);
      controller.enqueue(encoder.encode(`data: ${i}\n\n`));
    }
    controller.close();
    await reading;
    expect(seen).toEqual(["0", "1", "2", "3", "4", "5"]);
  });

  it("counts only time spent waiting for bytes, not a slow consumer's time between reads", async () => {
    vi.useFakeTimers();
    const { stream } = body(["data: 0\n\n", "data: 1\n\n", "data: 2\n\n"], { end: false });
    const seen: string[] = [];
    let sawAll!: () => void;
    const allSeen = new Promise<void>((resolve) => {
      sawAll = resolve;
    });
    const reading = (async () => {
      for await (const event of readSse(stream, { idleTimeoutMs: 400 })) {
        seen.push(event.data);
        // The consumer holds each event for longer than the idle limit; the next bytes are already there.
        if (seen.length < 3) await vi.advanceTimersByTimeAsync(1_000);
        else sawAll();
      }
    })().catch((e: unknown) => e);
    await allSeen;
    expect(seen).toEqual(["0", "1", "2"]);
    // Then a real stall: the body sends nothing more.
    await vi.advanceTimersByTimeAsync(401);
    const error = await reading;
    expect(TimeoutError.isInstance(error)).toBe(true);
  });

  it("rejects with the abort reason and cancels the body when the signal fires", async () => {
    const controller = new AbortController();
    const reason = new AbortedError("client went away");
    const state = { cancelled: false };
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          // The first read gets an event; the second, while readSse waits on it, sees the abort.
          if (++pulls === 1) c.enqueue(encoder.encode("data: first\n\n"));
          else controller.abort(reason);
        },
        cancel() {
          state.cancelled = true;
        },
      },
      // Pulled only when read, not ahead.
      { highWaterMark: 0 },
    );
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of readSse(stream, { signal: controller.signal }))
        seen.push(event.data);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["first"]);
    expect(error).toBe(reason);
    expect(state.cancelled).toBe(true);
  });

  it("rejects at once on an already-aborted signal", async () => {
    const { stream, state } = body(["data: x\n\n"]);
    const reason = new Error("gone");
    const iterator = readSse(stream, { signal: AbortSignal.abort(reason) });
    await expect(iterator.next()).rejects.toBe(reason);
    expect(state.cancelled).toBe(true);
  });
});

describe("readSse with maxEventBytes", () => {
  async function outcome(chunks: string[], maxEventBytes: number) {
    const { stream, state } = body(chunks, { end: false });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of readSse(stream, { maxEventBytes, status: 200 }))
        seen.push(event.data);
    })().catch((e: unknown) => e);
    return { seen, error: error as Error, cancelled: state.cancelled };
  }

  it("passes events up to the limit, at any chunking and line ending", async () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const text = `data: ${"a".repeat(40)}${eol}${eol}data: ${"b".repeat(40)}${eol}${eol}`;
      const limit = text.length / 2;
      for (let cut = 1; cut < text.length; cut++) {
        const { stream } = body([text.slice(0, cut), text.slice(cut)]);
        const events = [];
        for await (const event of readSse(stream, { maxEventBytes: limit })) events.push(event);
        expect(events.map((e) => e.data)).toEqual(["a".repeat(40), "b".repeat(40)]);
      }
    }
  });

  it("fails on a whole oversized event in one chunk, after the events before it", async () => {
    const { seen, error, cancelled } = await outcome(
      [`data: ok\n\ndata: ${"x".repeat(200)}\n\n`],
      100,
    );
    expect(seen).toEqual(["ok"]);
    expect(UpstreamError.isInstance(error)).toBe(true);
    expect(error.message).toContain("max_event_bytes (100 bytes)");
    expect(cancelled).toBe(true);
  });

  it("fails on an event of many small lines spread over chunks", async () => {
    const { seen, error } = await outcome(Array(30).fill("data: 0123456789\n"), 100);
    expect(seen).toEqual([]);
    expect(error.message).toContain("max_event_bytes");
  });

  it("fails on a line that never ends", async () => {
    const { error, cancelled } = await outcome(["data: ", ...Array(20).fill("y".repeat(10))], 100);
    expect(error.message).toContain("max_event_bytes");
    expect(cancelled).toBe(true);
  });

  it("counts bytes, not characters", async () => {
    // 40 snowmen: 40 characters, 120 bytes.
    const { error } = await outcome([`data: ${"☃".repeat(40)}\n\n`], 100);
    expect(error.message).toContain("max_event_bytes");
  });
});

describe("readSse over a real socket", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    if (server?.listening) await new Promise((r) => server?.close(r));
    server = undefined;
  });

  it("breaking out closes the connection to the server", async () => {
    let closed!: Promise<unknown[]>;
    let res!: ServerResponse;
    server = createServer((_req, response) => {
      res = response;
      closed = once(response, "close");
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: hello\n\n");
      // Never ends: only the client can close this stream.
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    for await (const event of readSse(response.body!)) {
      expect(event.data).toBe("hello");
      break;
    }
    await closed;
    expect(res.writableFinished).toBe(false);
  });
});
