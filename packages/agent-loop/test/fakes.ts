import {
  type AssistantMessage,
  type BackendEvent,
  type CallOptions,
  type Completion,
  type FinishReason,
  type LlmBackend,
  type LlmRequest,
  sleep,
  type ToolCall,
  type ToolCallOptions,
  type ToolInfo,
  type ToolResult,
  type Toolset,
  type Usage,
} from "@aiproxy/core";

/** One scripted backend response: fixed events, or a generator that may wait or throw. */
export type ScriptFn = (
  request: LlmRequest,
  signal: AbortSignal | undefined,
) => AsyncIterable<BackendEvent>;
export type ScriptStep = BackendEvent[] | ScriptFn;

/**
 * A backend that answers each call with the next scripted step (the last
 * one repeats when `repeatLast` is set) and records every request and signal.
 */
export class FakeBackend implements LlmBackend {
  readonly provider = "fake";
  readonly requests: LlmRequest[] = [];
  readonly signals: (AbortSignal | undefined)[] = [];
  streamCalls = 0;
  generateCalls = 0;

  constructor(
    private readonly script: ScriptStep[],
    private readonly options: { repeatLast?: boolean } = {},
  ) {}

  stream(request: LlmRequest, options?: CallOptions): AsyncIterable<BackendEvent> {
    this.streamCalls++;
    return this.#play(request, options);
  }

  async generate(request: LlmRequest, options?: CallOptions): Promise<Completion> {
    this.generateCalls++;
    let completion: Completion | undefined;
    for await (const event of this.#play(request, options)) {
      if (event.type === "finish") {
        completion = {
          message: event.message,
          finishReason: event.finishReason,
          usage: event.usage,
        };
      }
    }
    if (!completion) throw new Error("scripted step has no finish event");
    return completion;
  }

  async *#play(request: LlmRequest, options?: CallOptions): AsyncGenerator<BackendEvent> {
    const index = this.requests.length;
    this.requests.push(structuredClone(request));
    this.signals.push(options?.signal);
    const step =
      this.script[index] ??
      (this.options.repeatLast ? this.script[this.script.length - 1] : undefined);
    if (!step) throw new Error(`no scripted response for call ${index + 1}`);
    if (Array.isArray(step)) yield* step;
    else yield* step(request, options?.signal);
  }
}

export function usage(
  promptTokens: number,
  completionTokens: number,
  extra: Partial<Usage> = {},
): Usage {
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, ...extra };
}

/** A text answer, streamed in two deltas. */
export function text(
  content: string,
  u: Usage = usage(10, 5),
  finishReason: FinishReason = "stop",
): BackendEvent[] {
  const half = Math.ceil(content.length / 2);
  const deltas: BackendEvent[] = [content.slice(0, half), content.slice(half)]
    .filter((d) => d.length > 0)
    .map((delta) => ({ type: "text-delta", delta }));
  return [
    ...deltas,
    { type: "finish", finishReason, usage: u, message: { role: "assistant", content } },
  ];
}

export interface ScriptedCall {
  id?: string;
  name: string;
  args?: string | Record<string, unknown>;
}

/** A response asking for tool calls, optionally after some text. */
export function calls(
  list: ScriptedCall[],
  options: { content?: string; usage?: Usage; providerData?: Record<string, unknown> } = {},
): BackendEvent[] {
  const toolCalls: ToolCall[] = list.map((c, i) => ({
    id: c.id ?? `call_${i + 1}`,
    type: "function",
    function: {
      name: c.name,
      arguments: typeof c.args === "string" ? c.args : JSON.stringify(c.args ?? {}),
    },
  }));
  const message: AssistantMessage = {
    role: "assistant",
    content: options.content ?? null,
    tool_calls: toolCalls,
  };
  if (options.providerData) message.providerData = options.providerData;
  const events: BackendEvent[] = [];
  if (options.content) events.push({ type: "text-delta", delta: options.content });
  toolCalls.forEach((call, index) => {
    events.push({ type: "tool-call-delta", index, id: call.id, name: call.function.name });
    events.push({ type: "tool-call-delta", index, argumentsDelta: call.function.arguments });
  });
  events.push({
    type: "finish",
    finishReason: "tool_calls",
    usage: options.usage ?? usage(10, 5),
    message,
  });
  return events;
}

/** A step that emits `before`, then waits for `gate` (or the signal), then emits `after`. */
export function gated(
  before: BackendEvent[],
  gate: Promise<void>,
  after: BackendEvent[],
): ScriptFn {
  return async function* (_request, signal) {
    yield* before;
    await new Promise<void>((resolve, reject) => {
      gate.then(resolve);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    yield* after;
  };
}

/** A step that fails with `error`, after emitting `before`. */
export function failing(error: unknown, before: BackendEvent[] = []): ScriptFn {
  return async function* () {
    yield* before;
    throw error;
  };
}

export interface FakeTool {
  server?: string;
  tool?: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  run?: (
    args: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ) => Promise<ToolResult | string> | ToolResult | string;
}

export interface RecordedToolCall {
  name: string;
  args: Record<string, unknown>;
  signal: AbortSignal | undefined;
  start: number;
  end?: number;
}

/** A toolset over plain functions that records each call with its start and end time. */
export class FakeToolset implements Toolset {
  readonly calls: RecordedToolCall[] = [];
  listCalls = 0;

  constructor(private readonly tools: Record<string, FakeTool>) {}

  async list(_options?: ToolCallOptions): Promise<ToolInfo[]> {
    this.listCalls++;
    return Object.entries(this.tools).map(([name, t]) => {
      const info: ToolInfo = {
        name,
        inputSchema: t.inputSchema ?? { type: "object", properties: {} },
      };
      if (t.description) info.description = t.description;
      if (t.server) info.server = t.server;
      if (t.tool) info.tool = t.tool;
      return info;
    });
  }

  async call(
    name: string,
    args: Record<string, unknown>,
    options?: ToolCallOptions,
  ): Promise<ToolResult> {
    const record: RecordedToolCall = {
      name,
      args,
      signal: options?.signal,
      start: performance.now(),
    };
    this.calls.push(record);
    const tool = this.tools[name];
    if (!tool) throw new Error(`fake toolset has no ${name}`);
    try {
      const out = tool.run ? await tool.run(args, options?.signal) : `${name} ok`;
      return typeof out === "string" ? { content: out, isError: false } : out;
    } finally {
      record.end = performance.now();
    }
  }
}

/** A tool that waits `ms` (honouring the signal) and answers `answer`. */
export function slowTool(ms: number, answer: string): FakeTool["run"] {
  return async (_args, signal) => {
    await sleep(ms, signal);
    return answer;
  };
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
