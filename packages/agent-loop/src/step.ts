import { randomUUID } from "node:crypto";
import {
  type AssistantMessage,
  emptyUsage,
  type FinishReason,
  type LlmBackend,
  type LlmRequest,
  UpstreamError,
  type Usage,
  untilAborted,
} from "@aiproxy/core";
import { abortable } from "./abortable.js";
import type { AgentEvent } from "./types.js";

export interface StepOutcome {
  message: AssistantMessage;
  finishReason: FinishReason;
  usage: Usage;
  /** A non-streamed completion's top-level extras (see Completion.extensions). */
  extensions?: Record<string, unknown>;
}

interface StepContext {
  step: number;
  streaming: boolean;
  signal: AbortSignal;
  emit: (event: AgentEvent) => void;
}

/** One backend call. Text is emitted as it arrives; the outcome is the merged message. */
export async function callBackend(
  backend: LlmBackend,
  request: LlmRequest,
  ctx: StepContext,
): Promise<StepOutcome> {
  const outcome = ctx.streaming
    ? await streamStep(backend, request, ctx)
    : await generateStep(backend, request, ctx);
  return { ...outcome, message: normalizeMessage(outcome.message) };
}

async function generateStep(
  backend: LlmBackend,
  request: LlmRequest,
  { step, signal, emit }: StepContext,
): Promise<StepOutcome> {
  const completion = await untilAborted(backend.generate(request, { signal }), signal);
  // Reasoning first, as a stream would send it.
  if (completion.reasoning) emit({ type: "reasoning-delta", step, delta: completion.reasoning });
  const text = completion.message.content;
  if (text) emit({ type: "text-delta", step, delta: text });
  return {
    message: completion.message,
    finishReason: completion.finishReason,
    usage: completion.usage ?? emptyUsage(),
    ...(completion.extensions && { extensions: completion.extensions }),
  };
}

async function streamStep(
  backend: LlmBackend,
  request: LlmRequest,
  { step, signal, emit }: StepContext,
): Promise<StepOutcome> {
  const iterator = backend.stream(request, { signal })[Symbol.asyncIterator]();
  const events = abortable(iterator, signal);
  let outcome: StepOutcome | undefined;
  let drained = false;
  try {
    for (;;) {
      const next = await events.next();
      if (next.done) break;
      const event = next.value;
      switch (event.type) {
        case "text-delta":
          if (event.delta) emit({ type: "text-delta", step, delta: event.delta });
          break;
        case "reasoning-delta":
          if (event.signature)
            emit({ type: "reasoning-delta", step, delta: event.delta, signature: event.signature });
          else if (event.delta) emit({ type: "reasoning-delta", step, delta: event.delta });
          break;
        case "tool-call-delta":
          // The finish event carries the merged calls; until then a call's
          // name may not even be known, so nothing is surfaced.
          break;
        case "usage":
          emit({ type: "step-usage", step, usage: event.usage });
          break;
        case "finish":
          outcome = {
            message: event.message,
            finishReason: event.finishReason,
            usage: event.usage ?? emptyUsage(),
          };
          break;
        default:
          assertNever(event);
      }
    }
    drained = true;
  } finally {
    events.close();
    // Abandoned mid-stream (abort, error): let the backend release its socket,
    // without waiting for it.
    if (!drained)
      void Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => {});
  }
  if (!outcome) {
    throw new UpstreamError({
      upstreamStatus: 0,
      message: "The upstream stream ended before the response was finished",
    });
  }
  return outcome;
}

function assertNever(_event: never): void {}

/**
 * Every call needs an id to pair it with its result; a provider that omits
 * one gets a generated id. An empty `tool_calls` array is dropped.
 */
function normalizeMessage(message: AssistantMessage): AssistantMessage {
  const out: AssistantMessage = { ...message, role: "assistant", content: message.content ?? null };
  if (!out.tool_calls || out.tool_calls.length === 0) {
    delete out.tool_calls;
    return out;
  }
  out.tool_calls = out.tool_calls.map((call) => ({
    ...call,
    type: "function",
    id: call.id || `call_${randomUUID().replaceAll("-", "")}`,
    function: { name: call.function.name, arguments: call.function.arguments ?? "" },
  }));
  return out;
}
