import { type BackendEvent, UpstreamError } from "@aiproxy/core";
import { streamError } from "./errors.js";
import { assembleCompletion, usageOf } from "./response.js";
import { blockProblem, isObject, messageProblem } from "./shape.js";
import type {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicTextBlock,
  AnthropicThinkingBlock,
  AnthropicUsage,
} from "./wire.js";

type StreamEvent = { type: string; [key: string]: unknown };

interface OpenBlock {
  block: AnthropicContentBlock;
  /** Position among tool_use blocks, for `tool-call-delta.index`. */
  toolIndex?: number;
  /** input_json_delta pieces, for tool_use and server tool blocks. */
  json?: string;
  /** Whether any tool-call arguments were emitted for this block. */
  emittedArguments?: boolean;
}

/**
 * Folds Anthropic stream events into canonical backend events and, at
 * `message_stop`, the merged message. One instance per response.
 */
export class StreamState {
  private message: AnthropicMessage = {};
  private readonly blocks: OpenBlock[] = [];
  private readonly rawArguments = new Map<AnthropicContentBlock, string>();
  private toolCount = 0;
  private usage: AnthropicUsage = {};
  done = false;

  /** `status`: the response's, for the UpstreamError of an event of the wrong shape. */
  constructor(private readonly status = 200) {}

  /**
   * The canonical events for one upstream event; throws on an `error` event.
   * The prompt's count (from message_start) goes just before the first
   * output, not at once: until output arrives the exchange may still retry.
   */
  apply(event: StreamEvent, secrets: string[]): BackendEvent[] {
    const events = this.translate(event, secrets);
    if (this.promptUsageSent || events.length === 0) return events;
    this.promptUsageSent = true;
    if (typeof this.usage.input_tokens !== "number") return events;
    return [{ type: "usage", usage: usageOf(this.usage) }, ...events];
  }

  private promptUsageSent = false;

  private translate(event: StreamEvent, secrets: string[]): BackendEvent[] {
    switch (event.type) {
      case "message_start": {
        const problem = messageProblem(event.message ?? {}, true);
        if (problem) this.fail(`message_start ${problem}`);
        return this.start(event.message as AnthropicMessage | undefined);
      }
      case "content_block_start": {
        const block = event.content_block as { type?: unknown } | undefined;
        if (block?.type === "tool_use" && blockProblem(block)) {
          this.fail(`content_block_start has ${blockProblem(block)}`);
        }
        return this.blockStart(event.index as number, event.content_block as AnthropicContentBlock);
      }
      case "content_block_delta":
        return this.blockDelta(event.index as number, event.delta as StreamEvent);
      case "content_block_stop":
        return this.blockStop(event.index as number);
      case "message_delta":
        return this.messageDelta(event);
      case "message_stop":
        this.done = true;
        return this.finish();
      case "error":
        throw streamError(event.error, secrets);
      default:
        // `ping`, and event types added after this was written.
        return [];
    }
  }

  private fail(problem: string): never {
    throw new UpstreamError({
      upstreamStatus: this.status,
      message: `Upstream stream's ${problem}`,
    });
  }

  private start(message: AnthropicMessage | undefined): BackendEvent[] {
    this.message = { ...message };
    this.mergeUsage(message?.usage);
    const events: BackendEvent[] = [];
    for (const block of message?.content ?? []) {
      events.push(...this.blockStart(this.blocks.length, block));
      events.push(...this.blockStop(this.blocks.length - 1));
    }
    return events;
  }

  private blockStart(index: number, content: AnthropicContentBlock | undefined): BackendEvent[] {
    if (!content || typeof content.type !== "string") return [];
    const open: OpenBlock = { block: structuredClone(content) };
    this.blocks[index] = open;
    const events: BackendEvent[] = [];
    if (content.type === "tool_use") {
      open.toolIndex = this.toolCount++;
      events.push({
        type: "tool-call-delta",
        index: open.toolIndex,
        id: content.id as string,
        name: content.name as string,
      });
    } else if (content.type === "text" && (content as AnthropicTextBlock).text) {
      events.push({ type: "text-delta", delta: (content as AnthropicTextBlock).text });
    } else if (content.type === "thinking" && (content as AnthropicThinkingBlock).thinking) {
      events.push({ type: "reasoning-delta", delta: (content as AnthropicThinkingBlock).thinking });
    }
    return events;
  }

  private blockDelta(index: number, delta: StreamEvent | undefined): BackendEvent[] {
    const open = this.blocks[index];
    if (!open || !delta) return [];
    const block = open.block as Record<string, unknown>;
    switch (delta.type) {
      case "text_delta": {
        const text = String(delta.text ?? "");
        block.text = String(block.text ?? "") + text;
        return text ? [{ type: "text-delta", delta: text }] : [];
      }
      case "thinking_delta": {
        const thinking = String(delta.thinking ?? "");
        block.thinking = String(block.thinking ?? "") + thinking;
        return thinking ? [{ type: "reasoning-delta", delta: thinking }] : [];
      }
      case "signature_delta": {
        block.signature = String(block.signature ?? "") + String(delta.signature ?? "");
        const signature = String(block.signature);
        return signature ? [{ type: "reasoning-delta", delta: "", signature }] : [];
      }
      case "input_json_delta": {
        const piece = String(delta.partial_json ?? "");
        open.json = (open.json ?? "") + piece;
        if (open.toolIndex === undefined || !piece) return [];
        open.emittedArguments = true;
        return [{ type: "tool-call-delta", index: open.toolIndex, argumentsDelta: piece }];
      }
      case "citations_delta":
        block.citations = [...((block.citations as unknown[] | null) ?? []), delta.citation];
        return [];
      default:
        return [];
    }
  }

  private blockStop(index: number): BackendEvent[] {
    const open = this.blocks[index];
    if (!open) return [];
    return this.settle(open);
  }

  /** Parses a tool block's streamed input; idempotent, so a block cut off mid-way can settle at the end. */
  private settle(open: OpenBlock): BackendEvent[] {
    const block = open.block as Record<string, unknown>;
    if (open.json !== undefined) {
      block.input = parseInput(open.json);
      if (open.toolIndex !== undefined && open.json) this.rawArguments.set(open.block, open.json);
      open.json = undefined;
    }
    if (open.toolIndex === undefined || open.emittedArguments) return [];
    // Keep the deltas' concatenation equal to the final arguments, even for
    // a call without arguments (Anthropic streams an empty partial_json).
    open.emittedArguments = true;
    const argumentsDelta = this.rawArguments.get(open.block) ?? JSON.stringify(block.input ?? {});
    this.rawArguments.set(open.block, argumentsDelta);
    return [{ type: "tool-call-delta", index: open.toolIndex, argumentsDelta }];
  }

  private messageDelta(event: StreamEvent): BackendEvent[] {
    const delta = (isObject(event.delta) ? event.delta : {}) as Record<string, unknown>;
    for (const key of ["stop_reason", "stop_sequence", "stop_details"] as const) {
      if (delta[key] !== undefined) this.message[key] = delta[key] as never;
    }
    this.mergeUsage(event.usage as AnthropicUsage | undefined);
    return [];
  }

  /** Usage in `message_delta` is cumulative: a count it carries replaces the earlier one. */
  private mergeUsage(usage: AnthropicUsage | null | undefined): void {
    if (!isObject(usage)) return;
    for (const [key, value] of Object.entries(usage)) {
      if (value !== null && value !== undefined) this.usage[key] = value;
    }
  }

  private finish(): BackendEvent[] {
    // Blocks cut off without a content_block_stop (e.g. at max_tokens) settle here.
    const events: BackendEvent[] = [];
    for (const open of this.blocks) if (open) events.push(...this.settle(open));
    const content = this.blocks.filter((open) => open !== undefined).map((open) => open.block);
    const completion = assembleCompletion(
      { ...this.message, content, usage: this.usage },
      this.rawArguments,
    );
    const finish: BackendEvent = {
      type: "finish",
      finishReason: completion.finishReason,
      usage: completion.usage,
      message: completion.message,
    };
    if (completion.id !== undefined) finish.id = completion.id;
    events.push(finish);
    return events;
  }
}

/** A streamed tool input; what cannot be parsed into an object becomes `{}`. */
function parseInput(json: string): unknown {
  if (!json) return {};
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === "object" && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}
