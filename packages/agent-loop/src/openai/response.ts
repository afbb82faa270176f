import { InternalError, toOpenAIError } from "@aiproxy/core";
import type { AgentRun } from "../types.js";
import { type ChunkItem, ChunkProducer } from "./chunks.js";
import { toChatCompletion } from "./completion.js";
import { completionId } from "./ids.js";

export interface OpenAIResponseOptions {
  /** The assistant name the client asked for, not the provider's model id. */
  model: string;
  stream: boolean;
  /** `stream_options.include_usage`. */
  includeUsage?: boolean;
  /** Send tool activity chunks (see the README). Off by default. */
  toolActivity?: boolean;
  /** Extra response headers, e.g. a request id. */
  headers?: HeadersInit;
  /**
   * While a stream is quiet (a long tool call) an SSE comment is sent this
   * often, so proxies do not close an idle connection. Default 15000; 0 turns it off.
   */
  keepAliveMs?: number;
  id?: string;
}

const STREAM_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/**
 * A run as a web-standard Response in OpenAI's wire format. A stream waits
 * for the model's first output before choosing its status, so a failure
 * before then (bad key, rate limit, unreachable upstream) is a real HTTP
 * error; a later one is a `data: {"error": ...}` event and no `[DONE]`.
 * Cancelling the body (the client went away) aborts the run.
 */
export async function toOpenAIResponse(
  run: AgentRun,
  options: OpenAIResponseOptions,
): Promise<Response> {
  const id = options.id ?? completionId();
  if (!options.stream) {
    try {
      const result = await run.result;
      return json(200, toChatCompletion(result, { model: options.model, id }), options.headers);
    } catch (error) {
      return errorResponse(error, options.headers);
    }
  }

  const producer = new ChunkProducer(run, { ...options, id });
  const first = await producer.next().catch((error: unknown) => ({
    done: false as const,
    value: { error: new InternalError({ message: "Agent run failed", cause: error }) },
  }));
  if (first.done) {
    return errorResponse(
      new InternalError({ message: "The agent run produced no output" }),
      options.headers,
    );
  }
  if ("error" in first.value) return errorResponse(first.value.error, options.headers);

  const headers = new Headers(options.headers);
  for (const [name, value] of Object.entries(STREAM_HEADERS)) headers.set(name, value);
  return new Response(sseBody(producer, first.value, options.keepAliveMs ?? 15_000), {
    status: 200,
    headers,
  });
}

/**
 * The SSE body. Chunks produced in the same turn of the event loop (one
 * network read from the upstream often carries several) go out as one write,
 * which saves a syscall per chunk. The producer is read only while the
 * consumer has room, so a slow client slows the upstream instead of
 * filling memory. While nothing is sent, a comment keeps proxies from
 * closing the idle connection.
 */
function sseBody(
  producer: ChunkProducer,
  first: ChunkItem,
  keepAliveMs: number,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let batch = "";
  let flushQueued = false;
  let lastSentAt = Date.now();
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let wake: (() => void) | undefined;
  let closed = false;

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const flush = () => {
        flushQueued = false;
        if (closed || batch === "") return;
        controller.enqueue(encoder.encode(batch));
        batch = "";
        lastSentAt = Date.now();
      };
      const send = (text: string) => {
        batch += text;
        if (!flushQueued) {
          flushQueued = true;
          setImmediate(flush);
        }
      };
      const end = () => {
        flush();
        closed = true;
        clearInterval(keepAlive);
        controller.close();
      };
      if (keepAliveMs > 0)
        keepAlive = setInterval(() => {
          if (closed || batch !== "" || Date.now() - lastSentAt < keepAliveMs / 2) return;
          // A comment line: every SSE parser, openai-node's included, skips it.
          controller.enqueue(encoder.encode(": keep-alive\n\n"));
          lastSentAt = Date.now();
        }, keepAliveMs);

      send(encodeItem(first));
      void (async () => {
        for (;;) {
          if ((controller.desiredSize ?? 1) <= 0)
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          if (closed) return;
          let next: IteratorResult<ChunkItem>;
          try {
            next = await producer.next();
          } catch (error) {
            next = {
              done: false,
              value: { error: new InternalError({ message: "Agent run failed", cause: error }) },
            };
          }
          if (closed) return;
          if (next.done) {
            // Only a finished run gets [DONE]; a client must not mistake a cut-off stream for a whole one.
            if (producer.completed) send("data: [DONE]\n\n");
            return end();
          }
          send(encodeItem(next.value));
          if ("error" in next.value) return end();
        }
      })();
    },
    pull() {
      wake?.();
      wake = undefined;
    },
    async cancel() {
      closed = true;
      clearInterval(keepAlive);
      wake?.();
      await producer.return();
    },
  });
}

function encodeItem(item: ChunkItem): string {
  return "chunk" in item
    ? `data: ${JSON.stringify(item.chunk)}\n\n`
    : `data: ${JSON.stringify(toOpenAIError(item.error).body)}\n\n`;
}

function json(status: number, body: unknown, extra?: HeadersInit, own?: Record<string, string>) {
  const headers = new Headers(extra);
  for (const [name, value] of Object.entries(own ?? {})) headers.set(name, value);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers });
}

function errorResponse(error: unknown, extra?: HeadersInit): Response {
  const { status, body, headers } = toOpenAIError(error);
  return json(status, body, extra, headers);
}
