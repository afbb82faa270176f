import type { RetryInfo } from "./http/upstream.js";
import type { AssistantMessage, ChatMessage } from "./messages.js";
import type { GenerationParams } from "./params.js";
import type { ToolDefinition } from "./tools.js";
import type { Usage } from "./usage.js";

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export interface LlmRequest {
  /** The provider's model id (not the assistant name). */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  params?: GenerationParams;
  /** Merged into the provider's request body last, for provider-specific fields. */
  extraBody?: Record<string, unknown>;
}

export interface Completion {
  /** The provider's response id, when it gave one. */
  id?: string;
  message: AssistantMessage;
  finishReason: FinishReason;
  usage: Usage;
  /**
   * Top-level response fields outside the provider's schema that a model may
   * report beside its answer: `confidence` and `x_*` objects (a tool-deciding
   * model's `x_needle.confidence`). Only non-streamed completions carry them.
   */
  extensions?: Record<string, unknown>;
  /**
   * The model's reasoning text, when a non-streamed response carries it
   * apart from the answer (OpenAI-compatible `reasoning_content`); a stream
   * sends it as `reasoning-delta` events instead.
   */
  reasoning?: string;
}

/**
 * What a streaming backend yields. The iterator rejects with an AiProxyError
 * on any failure: there is one failure path, so no consumer can miss an error
 * by ignoring an event type.
 */
export type BackendEvent =
  | { type: "text-delta"; delta: string }
  /**
   * What the provider counted before the answer, e.g. the prompt's tokens as
   * an Anthropic stream opens; `finish` carries the whole usage later.
   */
  | { type: "usage"; usage: Usage }
  | {
      type: "reasoning-delta";
      delta: string;
      /**
       * The reasoning's signature, when the provider signs it (Anthropic's
       * thinking blocks); sent once, with an empty delta, when it arrives.
       */
      signature?: string;
    }
  | {
      type: "tool-call-delta";
      /** Position of the call within this response; deltas of one call share it. */
      index: number;
      id?: string;
      name?: string;
      argumentsDelta?: string;
    }
  | {
      type: "finish";
      finishReason: FinishReason;
      usage: Usage;
      /** The whole message, with tool calls merged: consumers need not re-assemble deltas. */
      message: AssistantMessage;
      id?: string;
    };

export interface CallOptions {
  signal?: AbortSignal;
  /** Extra HTTP headers for this call only, e.g. W3C `traceparent`; an adapter sends them after its own. */
  headers?: Record<string, string>;
  /** Called before each retry of this call, besides the backend's own `onRetry` (a span event). */
  onRetry?: (info: RetryInfo) => void;
}

/**
 * A wire format a backend can relay. A surface that speaks the same one can
 * forward the provider's events as they arrive instead of translating each
 * into canonical events and back.
 */
export type WireFormat = "openai-chat";

/** One event of the provider's own wire format, as it arrived, with what it means. */
export interface WireEvent {
  /** `chunk`'s JSON text exactly as the provider sent it, when the adapter has it (a streamed event). */
  data?: string;
  /**
   * The event as a JSON object: a streamed chunk, or a whole body. Absent on
   * the item that only closes a stream, whose events are its `finish`. On a
   * `plain` item it is parsed from `data` when first read.
   */
  chunk?: Record<string, unknown>;
  /**
   * Set when the adapter found `data` to be a plain chunk of text (one
   * choice, no tool calls, no usage, no error): where `data` holds the
   * top-level `model` value, quotes included, so a relay can put its own
   * there and forward the rest as it is, without reading `chunk`.
   */
  plain?: { readonly modelStart: number; readonly modelEnd: number };
  /** The canonical events it carries; a response's last item carries `finish`. */
  events: BackendEvent[];
}

export interface RelayCallOptions extends CallOptions {
  /** A streamed call (one item per event) or a whole one (one item: the body). */
  stream: boolean;
}

export interface LlmBackend {
  /** A short provider name for logs, e.g. "openai" or "anthropic". */
  readonly provider: string;
  generate(request: LlmRequest, options?: CallOptions): Promise<Completion>;
  stream(request: LlmRequest, options?: CallOptions): AsyncIterable<BackendEvent>;
  /** Set when `relay` is: the wire format its items are in. */
  readonly wire?: WireFormat;
  /**
   * `stream`, or `generate` without `stream`, with each of the provider's
   * own events beside its canonical ones, under the same limits, retries
   * and deadline: for a surface that answers in `wire` and so can forward them.
   */
  relay?(request: LlmRequest, options: RelayCallOptions): AsyncIterable<WireEvent>;
  /** Releases pooled connections, if the backend holds any. */
  close?(): Promise<void>;
}
