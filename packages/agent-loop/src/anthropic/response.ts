import { InternalError } from "@aiproxy/core";
import { jsonResponse, sseHeaders } from "../http.js";
import { sseBody } from "../sse/writer.js";
import type { AgentRun } from "../types.js";
import { toAnthropicError } from "./errors.js";
import { type AnthropicMessageOptions, type EventItem, MessageEventProducer } from "./events.js";
import { messageId } from "./ids.js";
import { toAnthropicMessage } from "./message.js";
import type { AnthropicStreamEvent } from "./types.js";

export interface AnthropicResponseOptions extends AnthropicMessageOptions {
  stream: boolean;
  /** Extra response headers, e.g. a request id. */
  headers?: HeadersInit;
  /** Put in error bodies as `request_id`, as Anthropic does. */
  requestId?: string;
  /**
   * While a stream is quiet (a long tool call) a `ping` event is sent this
   * often, so proxies do not close an idle connection. Default 15000; 0 turns it off.
   */
  keepAliveMs?: number;
}

const PING_FRAME = 'event: ping\ndata: {"type":"ping"}\n\n';

/**
 * A run as a web-standard Response in Anthropic's Messages format. A stream
 * waits for the model's first output before choosing its status, so an
 * early failure is a real HTTP error in Anthropic's shape; a later one is an
 * `event: error` and no `message_stop`. Cancelling the body aborts the run.
 */
export async function toAnthropicResponse(
  run: AgentRun,
  options: AnthropicResponseOptions,
): Promise<Response> {
  const id = options.id ?? messageId();
  if (!options.stream) {
    try {
      return jsonResponse(200, await toAnthropicMessage(run, { ...options, id }), options.headers);
    } catch (error) {
      return errorResponse(error, options);
    }
  }

  const producer = new MessageEventProducer(run, { ...options, id });
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
  const body = sseBody(
    frames(producer, options.requestId),
    encode(first.value, options.requestId),
    {
      keepAliveMs: options.keepAliveMs ?? 15_000,
      keepAliveFrame: PING_FRAME,
    },
  );
  return new Response(body, { status: 200, headers });
}

/**
 * A run as Messages stream events; a failure is one last `error` event.
 * Stopping the iteration aborts the run.
 */
export function toAnthropicStreamEvents(
  run: AgentRun,
  options: AnthropicMessageOptions,
): AsyncIterable<AnthropicStreamEvent> {
  return {
    [Symbol.asyncIterator]() {
      const producer = new MessageEventProducer(run, options);
      return {
        async next() {
          const next = await producer.next();
          if (next.done) return { done: true, value: undefined };
          const item = next.value;
          return {
            done: false,
            value: "event" in item ? item.event : toAnthropicError(item.error).body,
          };
        },
        return: () => producer.return(),
      };
    },
  };
}

function frames(producer: MessageEventProducer, requestId?: string): AsyncIterator<string> {
  let ended = false;
  return {
    async next() {
      if (ended) return { done: true, value: undefined };
      let next: IteratorResult<EventItem>;
      try {
        next = await producer.next();
      } catch (error) {
        next = {
          done: false,
          value: { error: new InternalError({ message: "Agent run failed", cause: error }) },
        };
      }
      if (next.done) return { done: true, value: undefined };
      if ("error" in next.value) ended = true;
      return { done: false, value: encode(next.value, requestId) };
    },
    async return() {
      ended = true;
      await producer.return();
      return { done: true, value: undefined };
    },
  };
}

function encode(item: EventItem, requestId?: string): string {
  if ("event" in item) return `event: ${item.event.type}\ndata: ${JSON.stringify(item.event)}\n\n`;
  return `event: error\ndata: ${JSON.stringify(toAnthropicError(item.error, requestId).body)}\n\n`;
}

function errorResponse(error: unknown, options: AnthropicResponseOptions): Response {
  const { status, body, headers } = toAnthropicError(error, options.requestId);
  return jsonResponse(status, body, options.headers, headers);
}
