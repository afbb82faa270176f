import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { answerWithJson, mayAnswerWithJson } from "./json-answer.js";

const call: JSONRPCMessage = {
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "echo", arguments: {} },
};
const withProgress: JSONRPCMessage = {
  ...call,
  params: { name: "echo", arguments: {}, _meta: { progressToken: 7 } },
};
const result = { jsonrpc: "2.0", id: 1, result: { content: [] } };
const progress = {
  jsonrpc: "2.0",
  method: "notifications/progress",
  params: { progressToken: 7, progress: 1 },
};

function post(accept: string): Request {
  return new Request("http://127.0.0.1/mcp", { method: "POST", headers: { accept } });
}

/** An SSE answer whose events are written one by one, the next only when `next()` is called. */
function sseAnswer(events: unknown[]): { response: Response; next: () => void } {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let sent = 0;
  const response = new Response(
    new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
    }),
    { headers: { "content-type": "text/event-stream", "mcp-session-id": "s1" } },
  );
  const next = () => {
    if (sent < events.length)
      controller.enqueue(
        encoder.encode(`event: message\ndata: ${JSON.stringify(events[sent++])}\n\n`),
      );
    if (sent === events.length) controller.close();
  };
  return { response, next };
}

describe("mayAnswerWithJson", () => {
  it("is true when the client accepts JSON and no request asks for progress", () => {
    expect(mayAnswerWithJson(post("application/json, text/event-stream"), [call])).toBe(true);
  });

  it("is false for a client that takes only a stream, or a call that asks for progress", () => {
    expect(mayAnswerWithJson(post("text/event-stream"), [call])).toBe(false);
    expect(mayAnswerWithJson(post("application/json, text/event-stream"), [withProgress])).toBe(
      false,
    );
  });
});

describe("answerWithJson", () => {
  it("answers with the response as JSON, keeping the session header", async () => {
    const { response, next } = sseAnswer([result]);
    next();
    const answer = await answerWithJson(response, new AbortController().signal);
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(answer.headers.get("mcp-session-id")).toBe("s1");
    expect(await answer.json()).toEqual(result);
  });

  it("answers a batch with an array of its responses", async () => {
    const second = { ...result, id: 2 };
    const { response, next } = sseAnswer([result, second]);
    next();
    next();
    const answer = await answerWithJson(response, new AbortController().signal);
    expect(await answer.json()).toEqual([result, second]);
  });

  it("streams after all when a notification comes first, with nothing lost", async () => {
    const { response, next } = sseAnswer([progress, result]);
    next();
    const answer = await answerWithJson(response, new AbortController().signal);
    expect(answer.headers.get("content-type")).toBe("text/event-stream");
    next();
    const text = await answer.text();
    expect(text).toBe(
      `event: message\ndata: ${JSON.stringify(progress)}\n\nevent: message\ndata: ${JSON.stringify(result)}\n\n`,
    );
  });

  it("passes an error answer through untouched", async () => {
    const refused = new Response("{}", { status: 406 });
    expect(await answerWithJson(refused, new AbortController().signal)).toBe(refused);
  });

  it("stops reading the stream when the client goes away", async () => {
    let cancelled!: () => void;
    const gone = new Promise<void>((resolve) => {
      cancelled = resolve;
    });
    const response = new Response(new ReadableStream({ cancel: () => cancelled() }), {
      headers: { "content-type": "text/event-stream" },
    });
    const abort = new AbortController();
    const answer = answerWithJson(response, abort.signal);
    abort.abort();
    await gone;
    await answer;
  });
});
