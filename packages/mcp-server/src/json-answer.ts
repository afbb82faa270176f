import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

const decoder = new TextDecoder();

/**
 * Whether a POST may be answered with `application/json` rather than an SSE
 * stream: the client accepts JSON and no request asked for progress (which
 * can only reach it on a stream). Streamable HTTP allows either answer.
 */
export function mayAnswerWithJson(request: Request, messages: JSONRPCMessage[]): boolean {
  const accept = request.headers.get("accept") ?? "";
  if (!/application\/json|\*\/\*/i.test(accept)) return false;
  return !messages.some((message) => {
    const params = (message as { params?: { _meta?: { progressToken?: unknown } } }).params;
    return params?._meta?.progressToken !== undefined;
  });
}

/** The JSON-RPC messages of complete SSE events in `text`, and what is left unparsed. */
function parseEvents(text: string): { messages: unknown[]; rest: string } {
  const messages: unknown[] = [];
  const blocks = text.replace(/\r\n?/g, "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    const data = block
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5))
      .join("\n");
    // A priming event (an id, no data) carries no message.
    if (data !== "") messages.push(JSON.parse(data));
  }
  return { messages, rest };
}

function isResponse(message: unknown): boolean {
  return (
    typeof message === "object" &&
    message !== null &&
    "id" in message &&
    ("result" in message || "error" in message) &&
    !("method" in message)
  );
}

/**
 * Turns the SDK's SSE answer to a POST into one JSON response, read in
 * process, so a call costs one HTTP write instead of a held-open chunked
 * stream. If the stream carries anything but responses (a notification or a
 * server request tied to the call), it is passed on as a stream after all,
 * with what was read so far in front.
 */
export async function answerWithJson(response: Response, signal: AbortSignal): Promise<Response> {
  const type = response.headers.get("content-type") ?? "";
  if (response.status !== 200 || !type.includes("text/event-stream") || !response.body)
    return response;
  const reader = response.body.getReader();
  // A client that goes away ends the SDK's stream, as it would if it were reading it.
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  const read: Uint8Array[] = [];
  const answers: unknown[] = [];
  let pending = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      read.push(value);
      const { messages, rest } = parseEvents(pending + decoder.decode(value, { stream: true }));
      pending = rest;
      if (!messages.every(isResponse)) return streamOn(response, read, reader);
      answers.push(...messages);
    }
  } finally {
    signal.removeEventListener("abort", cancel);
  }
  if (answers.length === 0)
    return new Response(null, { status: 202, headers: jsonHeaders(response) });
  const body = JSON.stringify(answers.length === 1 ? answers[0] : answers);
  return new Response(body, { status: 200, headers: jsonHeaders(response) });
}

function jsonHeaders(response: Response): Headers {
  const headers = new Headers(response.headers);
  headers.set("content-type", "application/json");
  for (const name of ["cache-control", "connection", "x-accel-buffering"]) headers.delete(name);
  return headers;
}

/** The SSE answer after all: the chunks already read, then the rest as it comes. */
function streamOn(
  response: Response,
  read: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Response {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of read) controller.enqueue(chunk);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(stream, { status: response.status, headers: response.headers });
}
