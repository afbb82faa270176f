import { InternalError } from "@aiproxy/core";
import { jsonResponse, sseHeaders } from "../http.js";
import { sseBody } from "../sse/writer.js";
import type { AgentRun } from "../types.js";
import { type ChunkItem, ChunkProducer } from "./chunks.js";
import { toChatCompletion } from "./completion.js";
import { errorFrame, errorResponse } from "./http.js";
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
      return jsonResponse(
        200,
        toChatCompletion(result, { model: options.model, id }),
        options.headers,
      );
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

  const headers = sseHeaders(options.headers);
  const body = sseBody(frames(producer), encodeItem(first.value), {
    keepAliveMs: options.keepAliveMs ?? 15_000,
  });
  return new Response(body, {
    status: 200,
    headers,
  });
}

/**
 * The producer's items as SSE frames, after the first. A failure is the
 * last frame; only a finished run gets `[DONE]`, so a client cannot mistake
 * a cut-off stream for a whole one. Returning the frames aborts the run.
 */
function frames(producer: ChunkProducer): AsyncIterator<string> {
  let ended = false;
  return {
    async next() {
      if (ended) return { done: true, value: undefined };
      let next: IteratorResult<ChunkItem>;
      try {
        next = await producer.next();
      } catch (error) {
        next = {
          done: false,
          value: { error: new InternalError({ message: "Agent run failed", cause: error }) },
        };
      }
      if (next.done) {
        ended = true;
        return producer.completed
          ? { done: false, value: "data: [DONE]\n\n" }
          : { done: true, value: undefined };
      }
      if ("error" in next.value) ended = true;
      return { done: false, value: encodeItem(next.value) };
    },
    async return() {
      ended = true;
      await producer.return();
      return { done: true, value: undefined };
    },
  };
}

function encodeItem(item: ChunkItem): string {
  return "chunk" in item
    ? `data: ${item.encoded ?? JSON.stringify(item.chunk)}\n\n`
    : errorFrame(item.error);
}
