import { type AiProxyError, contentText, toOpenAIError } from "@aiproxy/core";
import { EventProducer } from "../event-producer.js";
import type { AgentEvent, AgentResult, AgentRun } from "../types.js";
import { responsesId } from "./ids.js";
import type {
  ResponseMcpCall,
  ResponseObject,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseReasoningItem,
  ResponseRequestFields,
  ResponseStreamEvent,
  UnnumberedEvent,
} from "./types.js";
import { toResponseStatus, toResponsesUsage } from "./usage.js";

export interface ResponsesOptions {
  /** The assistant name the client asked for, not the provider's model id. */
  model: string;
  /** The request's fields as the response echoes them. */
  request: ResponseRequestFields;
  /** Default a fresh `resp_...`. */
  id?: string;
  /** Items that lead the output, e.g. the `mcp_list_tools` of the request's `mcp` tools. */
  leadingItems?: ResponseOutputItem[];
  /**
   * The `name` (and `namespace`) a client call's `function_call` item shows
   * for the name the model called, when the surface offered it under
   * another (Codex's namespace tools, flattened). Default: as called.
   */
  functionName?: (offered: string) => { name: string; namespace?: string } | undefined;
}

export type EventItem = { event: ResponseStreamEvent } | { error: AiProxyError };

/**
 * Turns run events into Responses stream events and, alongside, the
 * response they add up to. Nothing is produced before the first event that
 * shows the model answered, so a caller waiting for the first item can
 * still answer an early failure with a real HTTP status. Each step's text
 * and reasoning are items of their own; server-side MCP calls are always
 * `mcp_call` items (they are part of the protocol), open from the call to
 * its result. `return()` reaches the run at once, aborting it.
 */
export class ResponseEventProducer extends EventProducer<EventItem> {
  /** True once the run finished successfully and every event was produced. */
  completed = false;
  readonly response: ResponseObject;
  /** The run's result, once it finished. */
  result: AgentResult | undefined;
  readonly #leading: ResponseOutputItem[];
  readonly #mcpCalls = new Map<string, number>();
  readonly #functionName: ResponsesOptions["functionName"];
  #sequence = 0;
  #started = false;
  #open: { index: number; kind: "message" | "reasoning"; step: number } | undefined;

  constructor(run: AgentRun, options: ResponsesOptions) {
    super(run);
    this.#leading = options.leadingItems ?? [];
    this.#functionName = options.functionName;
    this.response = {
      id: options.id ?? responsesId("resp"),
      object: "response",
      created_at: Math.floor(Date.now() / 1000),
      completed_at: null,
      status: "in_progress",
      error: null,
      incomplete_details: null,
      model: options.model,
      output: [],
      usage: null,
      ...options.request,
    };
  }

  /**
   * The events a failure ends a stream with: `response.failed` (the
   * response so far, with the error) and then `error`, as OpenAI sends them.
   */
  failure(error: AiProxyError): ResponseStreamEvent[] {
    const { body } = toOpenAIError(error);
    this.response.status = "failed";
    this.response.error = { code: body.error.code ?? body.error.type, message: body.error.message };
    return [
      this.#number({ type: "response.failed", response: this.#snapshot() }),
      this.#number({
        type: "error",
        code: body.error.code ?? body.error.type,
        message: body.error.message,
        param: body.error.param,
      }),
    ];
  }

  protected handle(event: AgentEvent): void {
    switch (event.type) {
      case "step-start":
      case "step-usage":
        return;
      case "text-delta":
        this.#start();
        if (event.delta) this.#text(event.step, event.delta);
        return;
      case "reasoning-delta":
        this.#start();
        if (event.delta) this.#reasoning(event.step, event.delta);
        return;
      case "tool-call":
        this.#start();
        this.#closeOpen();
        if (event.client) this.#functionCall(event.callId, event.name, event.arguments);
        else if (event.held) this.#approvalRequest(event);
        else this.#mcpCall(event);
        return;
      case "tool-result":
        this.#start();
        this.#mcpResult(event);
        return;
      case "step-finish":
        this.#start();
        this.#closeOpen();
        return;
      case "finish": {
        this.#start();
        this.#closeOpen();
        const { result } = event;
        this.result = result;
        Object.assign(this.response, toResponseStatus(result.finishReason));
        this.response.usage = toResponsesUsage(result.usage);
        this.response.completed_at = Math.floor(Date.now() / 1000);
        this.#push({
          type: this.response.status === "completed" ? "response.completed" : "response.incomplete",
          response: this.#snapshot(),
        });
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
    this.#push({ type: "response.created", response: this.#snapshot() });
    this.#push({ type: "response.in_progress", response: this.#snapshot() });
    for (const item of this.#leading) this.#doneItem(this.#addItem(item));
  }

  #text(step: number, delta: string): void {
    const index = this.#openItem("message", step, () => ({
      id: responsesId("msg"),
      type: "message",
      role: "assistant",
      status: "in_progress",
      content: [],
    }));
    const item = this.response.output[index] as ResponseOutputMessage;
    if (item.content.length === 0) {
      const part = { type: "output_text" as const, text: "", annotations: [], logprobs: [] };
      item.content.push(part);
      this.#push({
        type: "response.content_part.added",
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part: { ...part },
      });
    }
    (item.content[0] as { text: string }).text += delta;
    this.#push({
      type: "response.output_text.delta",
      item_id: item.id,
      output_index: index,
      content_index: 0,
      delta,
      logprobs: [],
    });
  }

  #reasoning(step: number, delta: string): void {
    const index = this.#openItem("reasoning", step, () => ({
      id: responsesId("rs"),
      type: "reasoning",
      summary: [],
      content: [],
    }));
    const item = this.response.output[index] as ResponseReasoningItem;
    if (item.content.length === 0) {
      const part = { type: "reasoning_text" as const, text: "" };
      item.content.push(part);
      this.#push({
        type: "response.content_part.added",
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part: { ...part },
      });
    }
    (item.content[0] as { text: string }).text += delta;
    this.#push({
      type: "response.reasoning_text.delta",
      item_id: item.id,
      output_index: index,
      content_index: 0,
      delta,
    });
  }

  #functionCall(callId: string, offered: string, args: string): void {
    const { name, namespace } = this.#functionName?.(offered) ?? { name: offered };
    const index = this.#addItem({
      id: responsesId("fc"),
      type: "function_call",
      call_id: callId,
      name,
      ...(namespace !== undefined && { namespace }),
      arguments: "",
      status: "in_progress",
    });
    const item = this.response.output[index] as { id: string; arguments: string };
    // Clients build `arguments` from the deltas, as from OpenAI.
    if (args) {
      this.#push({
        type: "response.function_call_arguments.delta",
        item_id: item.id,
        output_index: index,
        delta: args,
      });
    }
    item.arguments = args;
    this.#push({
      type: "response.function_call_arguments.done",
      item_id: item.id,
      output_index: index,
      arguments: args,
    });
    (this.response.output[index] as { status: string }).status = "completed";
    this.#doneItem(index);
  }

  /** A held call: the client answers it with an `mcp_approval_response` naming this item's id. */
  #approvalRequest(event: Extract<AgentEvent, { type: "tool-call" }>): void {
    const index = this.#addItem({
      id: responsesId("mcpr"),
      type: "mcp_approval_request",
      server_label: event.server ?? "",
      name: event.tool ?? event.name,
      arguments: event.arguments,
    });
    this.#doneItem(index);
  }

  #mcpCall(event: Extract<AgentEvent, { type: "tool-call" }>): void {
    const index = this.#addItem({
      id: responsesId("mcp"),
      type: "mcp_call",
      server_label: event.server ?? "",
      name: event.tool ?? event.name,
      arguments: "",
      output: null,
      error: null,
      status: "in_progress",
    });
    this.#mcpCalls.set(event.callId, index);
    const item = this.response.output[index] as ResponseMcpCall;
    if (event.arguments)
      this.#push({
        type: "response.mcp_call_arguments.delta",
        item_id: item.id,
        output_index: index,
        delta: event.arguments,
      });
    item.arguments = event.arguments;
    this.#push({
      type: "response.mcp_call_arguments.done",
      item_id: item.id,
      output_index: index,
      arguments: event.arguments,
    });
    this.#push({ type: "response.mcp_call.in_progress", item_id: item.id, output_index: index });
  }

  #mcpResult(event: Extract<AgentEvent, { type: "tool-result" }>): void {
    const index = this.#mcpCalls.get(event.callId);
    if (index === undefined) return;
    this.#mcpCalls.delete(event.callId);
    const item = this.response.output[index] as ResponseMcpCall;
    const text = contentText(event.result.content);
    if (event.isError) {
      item.status = "failed";
      item.error = { type: "mcp_tool_execution_error", content: [{ type: "text", text }] };
    } else {
      item.status = "completed";
      item.output = text;
    }
    this.#push({
      type: event.isError ? "response.mcp_call.failed" : "response.mcp_call.completed",
      item_id: item.id,
      output_index: index,
    });
    this.#doneItem(index);
  }

  #openItem(
    kind: "message" | "reasoning",
    step: number,
    create: () => ResponseOutputMessage | ResponseReasoningItem,
  ): number {
    if (this.#open?.kind === kind && this.#open.step === step) return this.#open.index;
    this.#closeOpen();
    const index = this.#addItem(create());
    this.#open = { index, kind, step };
    return index;
  }

  #closeOpen(): void {
    if (!this.#open) return;
    const { index } = this.#open;
    this.#open = undefined;
    const item = this.response.output[index];
    if (item?.type === "message" || item?.type === "reasoning") {
      const part = item.content[0];
      if (part) {
        const ref = { item_id: item.id, output_index: index, content_index: 0 };
        if (part.type === "output_text")
          this.#push({ type: "response.output_text.done", ...ref, text: part.text, logprobs: [] });
        else this.#push({ type: "response.reasoning_text.done", ...ref, text: part.text });
        this.#push({ type: "response.content_part.done", ...ref, part: { ...part } });
      }
      if (item.type === "message") item.status = "completed";
    }
    this.#doneItem(index);
  }

  #addItem(item: ResponseOutputItem): number {
    const index = this.response.output.length;
    this.response.output.push(item);
    this.#push({ type: "response.output_item.added", output_index: index, item: clone(item) });
    return index;
  }

  #doneItem(index: number): void {
    const item = this.response.output[index];
    if (item)
      this.#push({ type: "response.output_item.done", output_index: index, item: clone(item) });
  }

  /** The response as it stands, for an event: later changes must not show through. */
  #snapshot(): ResponseObject {
    return clone(this.response);
  }

  #number(event: UnnumberedEvent): ResponseStreamEvent {
    return { ...event, sequence_number: this.#sequence++ } as ResponseStreamEvent;
  }

  #push(event: UnnumberedEvent): void {
    this.push({ event: this.#number(event) });
  }
}

/**
 * A deep copy of the JSON data a response is made of. structuredClone went
 * through V8's serializer at ~15 µs a snapshot, several per streamed response;
 * plain objects and arrays copy in a fraction of that.
 */
function clone<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(clone) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = clone((value as Record<string, unknown>)[key]);
  return copy as T;
}

function assertNever(_event: never): void {}
