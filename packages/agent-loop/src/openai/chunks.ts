import { type AiProxyError, contentText, type OpenAIErrorBody, toOpenAIError } from "@aiproxy/core";
import { EventProducer } from "../event-producer.js";
import { strategyJson } from "../strategy-json.js";
import type { AgentEvent, AgentRun } from "../types.js";
import { completionId, nowSeconds } from "./ids.js";
import type { ChatCompletionChunk, ToolActivity } from "./types.js";
import { toOpenAIUsage } from "./usage.js";

export interface ChatCompletionChunksOptions {
  /** The assistant name the client asked for, not the provider's model id. */
  model: string;
  /** Send a last chunk with `choices: []` and the usage of all steps (`stream_options.include_usage`). */
  includeUsage?: boolean;
  /** Send tool calls and results as `aiproxy` chunks a chat UI can show. Off by default. */
  toolActivity?: boolean;
  id?: string;
}

/** `encoded`, when set, is `JSON.stringify(chunk)`, built from parts the stream shares. */
export type ChunkItem = { chunk: ChatCompletionChunk; encoded?: string } | { error: AiProxyError };

type Choice = ChatCompletionChunk["choices"][number];

/**
 * Turns run events into chunks. Nothing is produced before the first event
 * that shows the model answered (anything but `step-start`), so a caller
 * that waits for the first item can still answer an early failure with a
 * real HTTP status. `return()` reaches the run at once, aborting it.
 */
export class ChunkProducer extends EventProducer<ChunkItem> {
  /** True once the run finished successfully and every chunk was produced. */
  completed = false;
  readonly #options: ChatCompletionChunksOptions;
  readonly #id: string;
  readonly #created = nowSeconds();
  #started = false;
  #textStep: number | undefined;
  #clientCallIndex = 0;
  #prefix: string | undefined;

  constructor(run: AgentRun, options: ChatCompletionChunksOptions) {
    super(run);
    this.#options = options;
    this.#id = options.id ?? completionId();
  }

  protected handle(event: AgentEvent): void {
    switch (event.type) {
      case "step-start":
      case "step-usage":
        return;
      case "text-delta": {
        this.#start();
        // Text from an earlier step (before a tool round) was already sent;
        // keep the next step's text from running into it.
        const separator =
          this.#textStep !== undefined && this.#textStep !== event.step ? "\n\n" : "";
        this.#textStep = event.step;
        this.#push(this.#textChunk(separator + event.delta));
        return;
      }
      case "reasoning-delta":
        // OpenAI's chat completions have no reasoning field; it only shows the model is answering.
        this.#start();
        return;
      case "tool-call":
        this.#start();
        if (event.client) {
          this.#push(
            this.#chunk({
              tool_calls: [
                {
                  index: this.#clientCallIndex++,
                  id: event.callId,
                  type: "function",
                  function: { name: event.name, arguments: event.arguments },
                },
              ],
            }),
          );
        } else if (this.#options.toolActivity) {
          this.#push(
            this.#activity({
              type: "tool_call",
              step: event.step,
              call_id: event.callId,
              name: event.name,
              ...origin(event),
              arguments: event.arguments,
            }),
          );
        }
        return;
      case "tool-result":
        this.#start();
        if (this.#options.toolActivity) {
          this.#push(
            this.#activity({
              type: "tool_result",
              step: event.step,
              call_id: event.callId,
              name: event.name,
              ...origin(event),
              is_error: event.isError,
              duration_ms: event.durationMs,
              content: contentText(event.result.content),
            }),
          );
        }
        return;
      case "step-finish":
        this.#start();
        return;
      case "finish": {
        this.#start();
        const { result } = event;
        if (result.message.refusal) this.#push(this.#chunk({ refusal: result.message.refusal }));
        const finishChunk = this.#chunk({}, result.finishReason);
        if (result.strategy && "chunk" in finishChunk)
          finishChunk.chunk.x_aiproxy = strategyJson(result.strategy);
        this.#push(finishChunk);
        if (this.#options.includeUsage) {
          this.#push({
            chunk: { ...this.#base(), choices: [], usage: toOpenAIUsage(result.usage) },
          });
        }
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
    this.#push(this.#chunk({ role: "assistant", content: "" }));
  }

  #push(item: ChunkItem): void {
    this.push(item);
  }

  #base(): Omit<ChatCompletionChunk, "choices"> {
    return {
      id: this.#id,
      object: "chat.completion.chunk",
      created: this.#created,
      model: this.#options.model,
    };
  }

  /**
   * A text delta, the chunk a stream is made of, with its JSON built from a
   * prefix encoded once per stream: only the delta is stringified per chunk.
   * The same bytes as `JSON.stringify(chunk)` (the key order of `#chunk`).
   */
  #textChunk(content: string): ChunkItem {
    const item = this.#chunk({ content });
    this.#prefix ??= `${JSON.stringify(this.#base()).slice(0, -1)},"choices":[{"index":0,"delta":{"content":`;
    const tail = this.#options.includeUsage
      ? '},"logprobs":null,"finish_reason":null}],"usage":null}'
      : '},"logprobs":null,"finish_reason":null}]}';
    (item as { encoded?: string }).encoded = this.#prefix + JSON.stringify(content) + tail;
    return item;
  }

  #chunk(delta: Choice["delta"], finishReason: Choice["finish_reason"] = null): ChunkItem {
    const chunk: ChatCompletionChunk = {
      ...this.#base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (this.#options.includeUsage) chunk.usage = null;
    return { chunk };
  }

  /**
   * A chunk with an empty delta looks like any keep-going chunk to an OpenAI
   * client. It has no `id` because openai-node's ChatCompletionStream merges
   * a chunk's top-level fields into its final completion only when `id` is
   * set; without it, the activity never leaks into `finalChatCompletion()`.
   */
  #activity(activity: ToolActivity): ChunkItem {
    const { id: _id, ...base } = this.#base();
    const chunk: ChatCompletionChunk = {
      ...base,
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: null }],
    };
    if (this.#options.includeUsage) chunk.usage = null;
    chunk.aiproxy = activity;
    return { chunk };
  }
}

function origin(event: { server?: string; tool?: string }): { server?: string; tool?: string } {
  const out: { server?: string; tool?: string } = {};
  if (event.server !== undefined) out.server = event.server;
  if (event.tool !== undefined) out.tool = event.tool;
  return out;
}

function assertNever(_event: never): void {}

/**
 * A run as `chat.completion.chunk` objects. A failure ends the sequence with
 * one `{ error }` item (OpenAI's error body); a successful run ends after the
 * finish chunk (and the usage chunk when asked for). Stopping the iteration
 * aborts the run.
 */
export function toChatCompletionChunks(
  run: AgentRun,
  options: ChatCompletionChunksOptions,
): AsyncIterable<ChatCompletionChunk | { error: OpenAIErrorBody["error"] }> {
  return {
    [Symbol.asyncIterator]() {
      const producer = new ChunkProducer(run, options);
      return {
        async next() {
          const next = await producer.next();
          if (next.done) return { done: true, value: undefined };
          const item = next.value;
          if ("chunk" in item) return { done: false, value: item.chunk };
          return { done: false, value: { error: toOpenAIError(item.error).body.error } };
        },
        return: () => producer.return(),
      };
    },
  };
}
