import { type AiProxyError, InternalError, toOpenAIError } from "@aiproxy/core";
import { jsonResponse, sseHeaders } from "../http.js";
import { sseBody } from "../sse/writer.js";
import type { AgentResult, AgentRun } from "../types.js";
import { type EventItem, ResponseEventProducer, type ResponsesOptions } from "./events.js";
import { responsesId } from "./ids.js";
import type { ResponseObject, ResponseStreamEvent } from "./types.js";

export interface ResponsesResponseOptions extends ResponsesOptions {
  stream: boolean;
  /** Extra response headers, e.g. a request id. */
  headers?: HeadersInit;
  /**
   * While a stream is quiet (a long tool call) an SSE comment is sent this
   * often, so proxies do not close an idle connection. Default 15000; 0 turns it off.
   */
  keepAliveMs?: number;
  /**
   * Called once the response is whole (completed or incomplete), before the
   * client is told so: by the time a client sees `response.completed` (or
   * the JSON body), what this did (storing the response) has happened.
   * A rejection fails the response.
   */
  onComplete?: (response: ResponseObject, result: AgentResult) => Promise<void>;
}

/**
 * A run as one Responses API response object, built from the same events a
 * stream would send, so both agree item for item. Rejects with the run's error.
 */
export async function toResponseObject(
  run: AgentRun,
  options: ResponsesOptions & Pick<ResponsesResponseOptions, "onComplete">,
): Promise<ResponseObject> {
  const producer = new ResponseEventProducer(run, options);
  for (;;) {
    const next = await producer.next();
    if (next.done) break;
    if ("error" in next.value) throw next.value.error;
  }
  if (!producer.completed || !producer.result)
    throw new InternalError({ message: "The agent run produced no output" });
  await options.onComplete?.(producer.response, producer.result);
  return producer.response;
}

/**
 * A run as a web-standard Response in the Responses API's format. A stream
 * waits for the model's first output before choosing its status, so an
 * early failure is a real HTTP error in OpenAI's shape; a later one is
 * `response.failed` and an `error` event. Cancelling the body aborts the run.
 */
export async function toResponsesResponse(
  run: AgentRun,
  options: ResponsesResponseOptions,
): Promise<Response> {
  const id = options.id ?? responsesId("resp");
  if (!options.stream) {
    try {
      return jsonResponse(200, await toResponseObject(run, { ...options, id }), options.headers);
    } catch (error) {
      return errorResponse(error, options);
    }
  }

  const producer = new ResponseEventProducer(run, { ...options, id });
  const first = await producer.next().catch((error: unknown) => ({
    done: false as const,
    value: { error: new InternalError({ message: "Agent run failed", cause: error }) },
  }));
  if (first.done)
    return errorResponse(
      new InternalError({ message: "The agent run produced no output" }),
      options,
    );
  if ("error" in first.value) return errorResponse(first.value.error, options);

  const headers = sseHeaders(options.headers);
  const body = sseBody(frames(producer, options), encode(first.value.event), {
    keepAliveMs: options.keepAliveMs ?? 15_000,
  });
  return new Response(body, { status: 200, headers });
}

/**
 * A run as Responses stream events; a failure is `response.failed` and
 * `error`, the last two events. Stopping the iteration aborts the run.
 */
export function toResponsesStreamEvents(
  run: AgentRun,
  options: ResponsesOptions,
): AsyncIterable<ResponseStreamEvent> {
  return {
    [Symbol.asyncIterator]() {
      const producer = new ResponseEventProducer(run, options);
      let tail: ResponseStreamEvent[] = [];
      return {
        async next() {
          const queued = tail.shift();
          if (queued) return { done: false, value: queued };
          const next = await producer.next();
          if (next.done) return { done: true, value: undefined };
          if ("event" in next.value) return { done: false, value: next.value.event };
          tail = producer.failure(next.value.error);
          return { done: false, value: tail.shift() as ResponseStreamEvent };
        },
        return: () => producer.return(),
      };
    },
  };
}

function frames(
  producer: ResponseEventProducer,
  options: ResponsesResponseOptions,
): AsyncIterator<string> {
  let ended = false;
  return {
    async next() {
      if (ended) return { done: true, value: undefined };
      let next: IteratorResult<EventItem>;
      try {
        next = await producer.next();
      } catch (error) {
        next = { done: false, value: { error: internal(error) } };
      }
      if (next.done) return { done: true, value: undefined };
      let item = next.value;
      if ("event" in item && isFinal(item.event) && producer.result) {
        try {
          await options.onComplete?.(producer.response, producer.result);
        } catch (error) {
          item = { error: internal(error) };
        }
      }
      if ("event" in item) return { done: false, value: encode(item.event) };
      ended = true;
      return { done: false, value: producer.failure(item.error).map(encode).join("") };
    },
    async return() {
      ended = true;
      await producer.return();
      return { done: true, value: undefined };
    },
  };
}

function isFinal(event: ResponseStreamEvent): boolean {
  return event.type === "response.completed" || event.type === "response.incomplete";
}

function internal(error: unknown): AiProxyError {
  return new InternalError({ message: "Agent run failed", cause: error });
}

function encode(event: ResponseStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

function errorResponse(error: unknown, options: ResponsesResponseOptions): Response {
  const { status, body, headers } = toOpenAIError(error);
  return jsonResponse(status, body, options.headers, headers);
}
