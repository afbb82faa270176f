import type { BackendEvent, Completion } from "../backend.js";
import type { UpstreamBody } from "./exchange.js";

/**
 * Whether a streamed request was answered with one whole JSON body, as a
 * server that ignores `stream: true` does; its decoder reads `body.json()`
 * and yields `completionEvents` of it.
 */
export function answeredWhole(body: UpstreamBody): boolean {
  return /^application\/json\b/i.test(body.headers.get("content-type") ?? "");
}

/** A whole completion as the events a stream of it would have produced. */
export function* completionEvents(completion: Completion): Generator<BackendEvent> {
  const { message } = completion;
  if (message.content) yield { type: "text-delta", delta: message.content };
  for (const [index, call] of (message.tool_calls ?? []).entries()) {
    yield { type: "tool-call-delta", index, id: call.id, name: call.function.name };
    yield { type: "tool-call-delta", index, argumentsDelta: call.function.arguments };
  }
  const finish: BackendEvent = {
    type: "finish",
    finishReason: completion.finishReason,
    usage: completion.usage,
    message,
  };
  if (completion.id !== undefined) finish.id = completion.id;
  yield finish;
}

/**
 * `confidence` and `x_*` fields at the top level of a response body (see
 * Completion.extensions); undefined when there are none.
 */
export function completionExtensions(body: object): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body))
    if (key === "confidence" || key.startsWith("x_")) out[key] = value;
  return Object.keys(out).length > 0 ? out : undefined;
}
