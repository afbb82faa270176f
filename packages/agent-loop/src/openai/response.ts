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

const KEEP_ALIVE = Symbol("keep-alive");

function sseBody(
  producer: ChunkProducer,
  first: ChunkItem,
  keepAliveMs: number,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let pending: Promise<IteratorResult<ChunkItem>> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const waitOrKeepAlive = (
    promise: Promise<IteratorResult<ChunkItem>>,
  ): Promise<IteratorResult<ChunkItem> | typeof KEEP_ALIVE> => {
    if (!(keepAliveMs > 0)) return promise;
    return new Promise((resolve, reject) => {
      timer = setTimeout(() => resolve(KEEP_ALIVE), keepAliveMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  };

  const encodeItem = (item: ChunkItem): Uint8Array =>
    "chunk" in item
      ? encoder.encode(`data: ${JSON.stringify(item.chunk)}\n\n`)
      : encoder.encode(`data: ${JSON.stringify(toOpenAIError(item.error).body)}\n\n`);

  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encodeItem(first));
    },
    async pull(controller) {
      pending ??= producer.next();
      let next: IteratorResult<ChunkItem> | typeof KEEP_ALIVE;
      try {
        next = await waitOrKeepAlive(pending);
      } catch (error) {
        next = {
          done: false,
          value: { error: new InternalError({ message: "Agent run failed", cause: error }) },
        };
      }
      if (next === KEEP_ALIVE) {
        // A comment line: every SSE parser, openai-node's included, skips it.
        controller.enqueue(encoder.encode(": keep-alive\n\n"));
        return;
      }
      pending = undefined;
      if (next.done) {
        // Only a finished run gets [DONE]; a client must not mistake a cut-off stream for a whole one.
        if (producer.completed) controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
        return;
      }
      controller.enqueue(encodeItem(next.value));
      if ("error" in next.value) controller.close();
    },
    async cancel() {
      clearTimeout(timer);
      await producer.return();
    },
  });
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
