import type { BackendEvent, ToolCall } from "@aiproxy/core";
import { streamError } from "./errors.js";
import {
  assistantMessage,
  contentParts,
  finishReasonOf,
  newToolCallId,
  nonEmpty,
  usageOf,
} from "./response.js";
import type { OpenAIChatCompletionChunk, OpenAIToolCallDelta, OpenAIUsage } from "./wire.js";

export type FinishEvent = Extract<BackendEvent, { type: "finish" }>;

export interface ChunkAccumulatorOptions {
  /** Strings to redact from the message of an in-stream error. */
  secrets?: string[];
}

interface PendingCall {
  /** Position among this response's calls: `tool-call-delta.index`. */
  position: number;
  /** The id the upstream sent, if any. */
  upstreamId?: string;
  /** The id given to consumers, fixed when the call is announced. */
  id?: string;
  name?: string;
  arguments: string;
  announced: boolean;
}

/**
 * Folds `chat.completion.chunk`s into canonical backend events and, at the
 * end, the merged message. One instance per response; pure, so recorded
 * streams can be replayed through it directly.
 *
 * It reads choice 0 only, and tolerates what real servers send: chunks with
 * empty `choices` (Azure's prompt filter results, usage-only chunks), chunks
 * without a `delta`, `usage` on every chunk (the last one wins), a
 * `finish_reason` on a chunk that also carries content, tool-call deltas
 * without an `id` (one is generated), with the whole arguments in one piece,
 * with the name repeated, with upstream indexes that do not start at 0, or
 * with one index reused for a new call that has a new id.
 */
export class ChunkAccumulator {
  private readonly calls: PendingCall[] = [];
  private readonly byIndex = new Map<number, PendingCall>();
  private readonly secrets: string[];
  private id: string | undefined;
  private text = "";
  private refusal = "";
  private usage: OpenAIUsage | undefined;
  private reason: string | undefined;

  constructor(options: ChunkAccumulatorOptions = {}) {
    this.secrets = options.secrets ?? [];
  }

  /** Whether a choice has reported its `finish_reason`: the answer is complete. */
  get sawFinishReason(): boolean {
    return this.reason !== undefined;
  }

  /** The events for one chunk. Throws an UpstreamError when the chunk is an `{"error": ...}` event. */
  push(chunk: OpenAIChatCompletionChunk): BackendEvent[] {
    if (chunk.error != null) throw streamError(chunk.error, this.secrets);
    this.id ??= nonEmpty(chunk.id);
    if (chunk.usage && typeof chunk.usage === "object") this.usage = chunk.usage;
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (!choice) return [];
    const events: BackendEvent[] = [];
    const delta = choice.delta;
    if (delta) {
      const parts = contentParts(delta.content);
      const reasoning =
        nonEmpty(delta.reasoning_content) ?? nonEmpty(delta.reasoning) ?? parts.reasoning;
      if (reasoning) events.push({ type: "reasoning-delta", delta: reasoning });
      if (parts.text) {
        this.text += parts.text;
        events.push({ type: "text-delta", delta: parts.text });
      }
      if (typeof delta.refusal === "string") this.refusal += delta.refusal;
      for (const call of delta.tool_calls ?? []) if (call) this.toolCallDelta(call, events);
      if (delta.function_call && !delta.tool_calls?.length) {
        this.toolCallDelta({ index: 0, function: delta.function_call }, events);
      }
    }
    if (choice.finish_reason) this.reason = choice.finish_reason;
    return events;
  }

  /**
   * The closing events: announcements and `"{}"` arguments for calls that
   * never got them, then the `finish` event with the merged message. Call once.
   */
  finish(): [...BackendEvent[], FinishEvent] {
    const events: BackendEvent[] = [];
    for (const call of this.calls) {
      if (!call.announced) this.announce(call, events);
      if (call.arguments === "") {
        // Keeps the deltas' concatenation equal to the final, parseable arguments.
        call.arguments = "{}";
        events.push({ type: "tool-call-delta", index: call.position, argumentsDelta: "{}" });
      }
    }
    const toolCalls: ToolCall[] = this.calls.map((call) => ({
      id: call.id as string,
      type: "function",
      function: { name: call.name ?? "", arguments: call.arguments },
    }));
    const finish: FinishEvent = {
      type: "finish",
      finishReason: finishReasonOf(this.reason, toolCalls.length > 0),
      usage: usageOf(this.usage),
      message: assistantMessage(this.text, toolCalls, this.refusal),
    };
    if (this.id !== undefined) finish.id = this.id;
    return [...events, finish];
  }

  private toolCallDelta(delta: OpenAIToolCallDelta, events: BackendEvent[]): void {
    const upstreamId = nonEmpty(delta.id);
    const index = typeof delta.index === "number" ? delta.index : undefined;
    let call =
      index !== undefined
        ? this.byIndex.get(index)
        : upstreamId
          ? this.calls.find((c) => c.upstreamId === upstreamId)
          : this.calls[this.calls.length - 1];
    // A new id under a known index is a new call (some servers number every call 0).
    if (call && upstreamId && call.upstreamId && call.upstreamId !== upstreamId) call = undefined;
    if (!call) {
      call = { position: this.calls.length, arguments: "", announced: false };
      this.calls.push(call);
    }
    if (index !== undefined) this.byIndex.set(index, call);
    call.upstreamId ??= upstreamId;
    // A name repeated in later chunks is the same name, not more of it.
    call.name ??= nonEmpty(delta.function?.name);

    const args = delta.function?.arguments;
    const piece =
      typeof args === "string"
        ? args
        : args && typeof args === "object"
          ? JSON.stringify(args)
          : "";
    call.arguments += piece;
    if (!call.announced) {
      // Arguments that came before the name are held back and sent with it.
      if (call.name) this.announce(call, events);
    } else if (piece) {
      events.push({ type: "tool-call-delta", index: call.position, argumentsDelta: piece });
    }
  }

  private announce(call: PendingCall, events: BackendEvent[]): void {
    call.announced = true;
    call.id = call.upstreamId ?? newToolCallId();
    events.push({
      type: "tool-call-delta",
      index: call.position,
      id: call.id,
      name: call.name ?? "",
    });
    if (call.arguments) {
      events.push({
        type: "tool-call-delta",
        index: call.position,
        argumentsDelta: call.arguments,
      });
    }
  }
}
