import { type AiProxyError, contentText } from "@aiproxy/core";
import { EventProducer } from "../event-producer.js";
import type { AgentEvent, AgentResult, AgentRun } from "../types.js";
import { messageId } from "./ids.js";
import type {
  AnthropicContentBlock,
  AnthropicContentDelta,
  AnthropicMessage,
  AnthropicStreamEvent,
} from "./types.js";
import { toAnthropicUsage, toStopReason } from "./usage.js";

export interface AnthropicMessageOptions {
  /** The assistant name the client asked for, not the provider's model id. */
  model: string;
  /**
   * Show server-side MCP calls as `mcp_tool_use` / `mcp_tool_result` blocks,
   * as Anthropic's MCP connector does. Off by default: the rounds are invisible.
   */
  toolActivity?: boolean;
  /** Default a fresh `msg_...`. */
  id?: string;
}

export type EventItem = { event: AnthropicStreamEvent } | { error: AiProxyError };

/**
 * Turns run events into Messages stream events and, alongside, the message
 * they add up to. Nothing is produced before the first event that shows the
 * model answered, so a caller waiting for the first item can still answer an
 * early failure with a real HTTP status. Each step's text and thinking are
 * blocks of their own. `return()` reaches the run at once, aborting it.
 */
export class MessageEventProducer extends EventProducer<EventItem> {
  /** True once the run finished successfully and every event was produced. */
  completed = false;
  /** The message so far; whole once `completed`. */
  readonly message: AnthropicMessage;
  /** The run's result, once it finished. */
  result: AgentResult | undefined;
  readonly #options: AnthropicMessageOptions;
  /** The step each block of `message.content` came from. */
  readonly #blockSteps: number[] = [];
  #started = false;
  #pinged = false;
  #open: { index: number; type: "text" | "thinking"; step: number } | undefined;

  constructor(run: AgentRun, options: AnthropicMessageOptions) {
    super(run);
    this.#options = options;
    this.message = {
      id: options.id ?? messageId(),
      type: "message",
      role: "assistant",
      model: options.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 0,
        output_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    };
  }

  /** Which step produced the block at `index`. */
  stepOf(index: number): number | undefined {
    return this.#blockSteps[index];
  }

  protected handle(event: AgentEvent): void {
    switch (event.type) {
      case "step-start":
        return;
      case "step-usage":
        // Known before the first output (Anthropic sends it as a stream opens):
        // message_start carries it, as Anthropic's does.
        if (!this.#started)
          this.message.usage = { ...toAnthropicUsage(event.usage), output_tokens: 0 };
        return;
      case "text-delta":
        this.#start();
        this.#delta("text", event.step, { type: "text_delta", text: event.delta });
        return;
      case "reasoning-delta":
        this.#start();
        if (event.delta)
          this.#delta("thinking", event.step, { type: "thinking_delta", thinking: event.delta });
        if (event.signature)
          this.#delta("thinking", event.step, {
            type: "signature_delta",
            signature: event.signature,
          });
        return;
      case "tool-call":
        this.#start();
        if (event.client) {
          const input = jsonObject(event.arguments);
          const index = this.#openBlock(
            { type: "tool_use", id: event.callId, name: event.name, input: {} },
            event.step,
          );
          const json = JSON.stringify(input);
          // The SDKs build `input` from the deltas, as for a real upstream.
          if (json !== "{}")
            this.#emitDelta(index, { type: "input_json_delta", partial_json: json });
          this.#closeBlock(index);
        } else if (this.#options.toolActivity) {
          const index = this.#openBlock(
            {
              type: "mcp_tool_use",
              id: event.callId,
              name: event.tool ?? event.name,
              server_name: event.server ?? "",
              input: jsonObject(event.arguments),
            },
            event.step,
          );
          this.#closeBlock(index);
        }
        return;
      case "tool-result":
        this.#start();
        if (this.#options.toolActivity) {
          const index = this.#openBlock(
            {
              type: "mcp_tool_result",
              tool_use_id: event.callId,
              is_error: event.isError,
              content: [{ type: "text", text: contentText(event.result.content) }],
            },
            event.step,
          );
          this.#closeBlock(index);
        }
        return;
      case "step-finish":
        // Nothing shown yet (a hidden tool round came first): the step's prompt
        // count is known, so message_start carries it, as Anthropic's does.
        if (!this.#started)
          this.message.usage = { ...toAnthropicUsage(event.usage), output_tokens: 0 };
        this.#start();
        this.#closeOpen();
        return;
      case "finish": {
        this.#start();
        this.#closeOpen();
        if (!this.#pinged) this.#ping();
        const { result } = event;
        this.result = result;
        const stopSequence = stopSequenceOf(result.message.providerData);
        this.message.stop_reason =
          stopSequence !== undefined && result.finishReason === "stop"
            ? "stop_sequence"
            : toStopReason(result.finishReason);
        if (this.message.stop_reason === "stop_sequence")
          this.message.stop_sequence = stopSequence ?? null;
        this.message.usage = toAnthropicUsage(result.usage);
        this.#push({
          type: "message_delta",
          delta: {
            stop_reason: this.message.stop_reason,
            stop_sequence: this.message.stop_sequence,
          },
          usage: this.message.usage,
        });
        this.#push({ type: "message_stop" });
        this.completed = true;
        this.end();
        return;
      }
      case "error":
        this.push({ error: event.error });
        this.end();
        return;
      default:
        assertNever(event);
    }
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#push({ type: "message_start", message: { ...this.message, content: [] } });
  }

  #ping(): void {
    this.#pinged = true;
    this.#push({ type: "ping" });
  }

  #delta(type: "text" | "thinking", step: number, delta: AnthropicContentDelta): void {
    if (this.#open?.type !== type || this.#open.step !== step) {
      this.#closeOpen();
      const block: AnthropicContentBlock =
        type === "text" ? { type, text: "" } : { type, thinking: "", signature: "" };
      this.#open = { index: this.#openBlock(block, step), type, step };
    }
    this.#emitDelta(this.#open.index, delta);
  }

  #openBlock(block: AnthropicContentBlock, step: number): number {
    this.#closeOpen();
    const index = this.message.content.length;
    // A copy: the snapshot grows with the deltas, the start event must not.
    this.message.content.push({ ...block });
    this.#blockSteps.push(step);
    this.#push({ type: "content_block_start", index, content_block: block });
    if (!this.#pinged) this.#ping();
    return index;
  }

  #emitDelta(index: number, delta: AnthropicContentDelta): void {
    const block = this.message.content[index];
    if (block?.type === "text" && delta.type === "text_delta") block.text += delta.text;
    else if (block?.type === "thinking" && delta.type === "thinking_delta")
      block.thinking += delta.thinking;
    else if (block?.type === "thinking" && delta.type === "signature_delta")
      block.signature = delta.signature;
    else if (block?.type === "tool_use" && delta.type === "input_json_delta")
      block.input = JSON.parse(delta.partial_json);
    this.#push({ type: "content_block_delta", index, delta });
  }

  #closeOpen(): void {
    if (!this.#open) return;
    const { index } = this.#open;
    this.#open = undefined;
    this.#closeBlock(index);
  }

  #closeBlock(index: number): void {
    this.#push({ type: "content_block_stop", index });
  }

  #push(event: AnthropicStreamEvent): void {
    this.push({ event });
  }
}

/** The stop sequence an Anthropic backend said ended the turn (its `providerData`). */
function stopSequenceOf(providerData: Record<string, unknown> | undefined): string | undefined {
  const anthropic = providerData?.anthropic as { stop_sequence?: unknown } | undefined;
  return typeof anthropic?.stop_sequence === "string" ? anthropic.stop_sequence : undefined;
}

/** Tool arguments as the object Anthropic's `input` must be; anything else is `{}`. */
function jsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || "{}");
    if (value && typeof value === "object" && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Fall through: the model sent broken JSON.
  }
  return {};
}

function assertNever(_event: never): void {}
