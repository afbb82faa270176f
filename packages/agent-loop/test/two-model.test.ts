import type {
  BackendEvent,
  ChatMessage,
  Completion,
  LlmBackend,
  LlmRequest,
  ToolCall,
  ToolDefinition,
} from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { runAgent, type TwoModelStrategy } from "../src/index.js";
import { collect, FakeBackend, FakeToolset, text, usage } from "./fakes.js";

const user = (content: string): ChatMessage => ({ role: "user", content });

interface Decision {
  calls?: { name: string; args: Record<string, unknown> | string }[];
  extensions?: Record<string, unknown>;
}

/** A deciding backend: answers `generate` from a script, records requests, refuses to stream. */
class Decider implements LlmBackend {
  readonly provider = "decider";
  readonly requests: LlmRequest[] = [];
  constructor(private readonly script: Decision[]) {}
  async generate(request: LlmRequest): Promise<Completion> {
    this.requests.push(structuredClone(request));
    const next = this.script[this.requests.length - 1] ?? {};
    const toolCalls: ToolCall[] = (next.calls ?? []).map((c, i) => ({
      id: `d${this.requests.length}_${i}`,
      type: "function",
      function: {
        name: c.name,
        arguments: typeof c.args === "string" ? c.args : JSON.stringify(c.args),
      },
    }));
    return {
      message: {
        role: "assistant",
        content: null,
        ...(toolCalls.length && { tool_calls: toolCalls }),
      },
      finishReason: toolCalls.length ? "tool_calls" : "stop",
      usage: usage(100, 10),
      ...(next.extensions && { extensions: next.extensions }),
    };
  }
  // biome-ignore lint/correctness/useYield: a decision must never be streamed.
  async *stream(): AsyncIterable<BackendEvent> {
    throw new Error("the decision call was streamed");
  }
}

function tools() {
  return new FakeToolset({
    search__find: {
      server: "search",
      tool: "find",
      run: (args) => `found ids for ${JSON.stringify(args)}`,
    },
  });
}

function strategy(decider: Decider, extra: Partial<TwoModelStrategy> = {}): TwoModelStrategy {
  return { kind: "two-model", backend: decider, model: "decider-1", name: "tools", ...extra };
}

const neverTools = (backend: FakeBackend) => {
  for (const request of backend.requests) {
    expect(request.tools).toBeUndefined();
    for (const m of request.messages) {
      expect(m.role).not.toBe("tool");
      if (m.role === "assistant") expect(m.tool_calls).toBeUndefined();
    }
  }
};

describe("two-model strategy", () => {
  it("runs confident calls, asks again, then the answer model streams without tools", async () => {
    const decider = new Decider([
      {
        calls: [{ name: "search__find", args: { q: "cats" } }],
        extensions: { x_needle: { confidence: 0.9 } },
      },
      { extensions: { x_needle: { confidence: 0.2 } } },
    ]);
    const answer = new FakeBackend([text("Cats are 1 and 2.", usage(50, 7))]);
    const toolset = tools();
    const run = runAgent({
      backend: answer,
      model: "small",
      systemPrompt: "Be brief.",
      messages: [user("earlier"), { role: "assistant", content: "ok" }, user("find cats")],
      toolset,
      toolStrategy: strategy(decider, { exposeResults: true }),
    });
    const events = await collect(run);
    const result = await run.result;

    expect(toolset.calls.map((c) => c.args)).toEqual([{ q: "cats" }]);
    expect(answer.streamCalls).toBe(1);
    neverTools(answer);
    // turn context: the system prompt and the last user message on, not the earlier exchange
    expect(decider.requests[0]?.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(decider.requests[0]?.tools?.map((t) => t.function.name)).toEqual(["search__find"]);
    expect(decider.requests[1]?.messages.map((m) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
    ]);
    const answerMessages = answer.requests[0]?.messages ?? [];
    expect(String(answerMessages.at(-1)?.content)).toContain('found ids for {"q":"cats"}');
    expect(result.message.content).toBe("Cats are 1 and 2.");
    expect(result.usage).toEqual(usage(250, 27));
    expect(result.strategy).toEqual({
      kind: "two-model",
      toolBackend: "tools",
      decisions: [
        {
          round: 1,
          toolCalls: [{ name: "search__find", arguments: '{"q":"cats"}' }],
          confidence: 0.9,
          executed: true,
          results: [
            { name: "search__find", content: 'found ids for {"q":"cats"}', isError: false },
          ],
        },
        { round: 2, toolCalls: [], confidence: 0.2, executed: false },
      ],
    });
    expect(
      events
        .filter((e) => e.type === "text-delta")
        .map((e) => (e as { delta: string }).delta)
        .join(""),
    ).toBe("Cats are 1 and 2.");
  });

  it("does not run calls below the threshold; a top-level confidence counts too", async () => {
    const decider = new Decider([
      { calls: [{ name: "search__find", args: { q: "x" } }], extensions: { confidence: 0.4 } },
    ]);
    const answer = new FakeBackend([text("No tools needed.")]);
    const toolset = tools();
    const run = runAgent({
      backend: answer,
      model: "small",
      messages: [user("hi")],
      toolset,
      toolStrategy: strategy(decider, { confidence: 0.5 }),
    });
    const result = await run.result;
    expect(toolset.calls).toHaveLength(0);
    expect(result.strategy?.kind === "two-model" && result.strategy.decisions).toEqual([
      {
        round: 1,
        toolCalls: [{ name: "search__find", arguments: '{"q":"x"}' }],
        confidence: 0.4,
        executed: false,
      },
    ]);
    neverTools(answer);
  });

  it("trusts a decider that reports no confidence", async () => {
    const decider = new Decider([{ calls: [{ name: "search__find", args: {} }] }, {}]);
    const answer = new FakeBackend([text("done")]);
    const toolset = tools();
    const result = await runAgent({
      backend: answer,
      model: "small",
      messages: [user("hi")],
      toolset,
      toolStrategy: strategy(decider, { confidence: 1 }),
    }).result;
    expect(toolset.calls).toHaveLength(1);
    expect(
      result.strategy?.kind === "two-model" && result.strategy.decisions[0]?.confidence,
    ).toBeNull();
  });

  it("makes the fallback call when the first decision runs nothing, with {user} filled in", async () => {
    const decider = new Decider([{ extensions: { x_needle: { confidence: 0.1 } } }]);
    const answer = new FakeBackend([text("from fallback")]);
    const toolset = tools();
    const result = await runAgent({
      backend: answer,
      model: "small",
      messages: [user("what about dogs")],
      toolset,
      toolStrategy: strategy(decider, {
        fallback: { tool: "search__find", arguments: { q: "about: {user}", limit: 3 } },
      }),
    }).result;
    expect(toolset.calls.map((c) => c.args)).toEqual([{ q: "about: what about dogs", limit: 3 }]);
    expect(decider.requests).toHaveLength(1);
    expect(result.strategy?.kind === "two-model" && result.strategy.decisions).toEqual([
      {
        round: 1,
        toolCalls: [
          { name: "search__find", arguments: '{"q":"about: what about dogs","limit":3}' },
        ],
        confidence: 0.1,
        executed: true,
        fallback: true,
      },
    ]);
    neverTools(answer);
  });

  it("records invalid JSON arguments as a tool error and still answers", async () => {
    const decider = new Decider([{ calls: [{ name: "search__find", args: "{not json" }] }, {}]);
    const answer = new FakeBackend([text("sorry")]);
    const toolset = tools();
    const result = await runAgent({
      backend: answer,
      model: "small",
      messages: [user("hi")],
      toolset,
      toolStrategy: strategy(decider),
      streaming: false,
    }).result;
    expect(toolset.calls).toHaveLength(0);
    const first = result.strategy?.kind === "two-model" ? result.strategy.decisions[0] : undefined;
    expect(first?.executed).toBe(true);
    expect(first?.errors?.[0]?.message).toMatch(/not valid JSON/);
    expect(result.message.content).toBe("sorry");
    expect(answer.generateCalls).toBe(1);
  });

  it("hands a call to one of the client's tools back to the client", async () => {
    const clientTool: ToolDefinition = {
      type: "function",
      function: { name: "get_location", parameters: { type: "object" } },
    };
    const decider = new Decider([{ calls: [{ name: "get_location", args: {} }] }]);
    const answer = new FakeBackend([]);
    const result = await runAgent({
      backend: answer,
      model: "small",
      messages: [user("where am I")],
      toolset: tools(),
      clientTools: [clientTool],
      toolStrategy: strategy(decider),
    }).result;
    expect(result.finishReason).toBe("tool_calls");
    expect(result.message.tool_calls?.map((c) => c.function.name)).toEqual(["get_location"]);
    expect(answer.requests).toHaveLength(0);
  });

  it("with context full the decider sees the whole conversation", async () => {
    const decider = new Decider([{}]);
    const answer = new FakeBackend([text("ok")]);
    await runAgent({
      backend: answer,
      model: "small",
      messages: [user("earlier"), { role: "assistant", content: "ok" }, user("now")],
      toolset: tools(),
      toolStrategy: strategy(decider, { context: "full" }),
    }).result;
    expect(decider.requests[0]?.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(answer.requests[0]?.messages.map((m) => m.content)).toEqual(["earlier", "ok", "now"]);
  });

  it("stops deciding after maxRounds", async () => {
    const always = { calls: [{ name: "search__find", args: {} }] };
    const decider = new Decider([always, always, always]);
    const answer = new FakeBackend([text("enough")]);
    const toolset = tools();
    await runAgent({
      backend: answer,
      model: "small",
      messages: [user("hi")],
      toolset,
      toolStrategy: strategy(decider, { maxRounds: 2 }),
    }).result;
    expect(decider.requests).toHaveLength(2);
    expect(toolset.calls).toHaveLength(2);
  });
});
