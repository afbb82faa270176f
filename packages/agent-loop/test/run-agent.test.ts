import {
  AbortedError,
  type ChatMessage,
  InternalError,
  ServiceUnavailableError,
  TimeoutError,
  type ToolDefinition,
  type ToolMessage,
  UpstreamError,
} from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { type AgentEvent, runAgent } from "../src/index.js";
import {
  calls,
  collect,
  deferred,
  FakeBackend,
  FakeToolset,
  failing,
  gated,
  text,
  usage,
} from "./fakes.js";

const user = (content: string): ChatMessage => ({ role: "user", content });

const weatherTool: ToolDefinition = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } } },
  },
};

/** The messages of the backend's `index`th request; fails the test if there was none. */
function sent(backend: FakeBackend, index: number): ChatMessage[] {
  const request = backend.requests[index];
  if (!request) throw new Error(`no request ${index}`);
  return request.messages;
}

function types(events: AgentEvent[]): string[] {
  return events.map((e) => e.type);
}

describe("runAgent: plain answers", () => {
  it("streams a text answer and returns the result and transcript", async () => {
    const backend = new FakeBackend([text("Hello there", usage(7, 3))]);
    const run = runAgent({ backend, model: "gpt-x", messages: [user("hi")] });
    const events = await collect(run);
    const result = await run.result;

    expect(types(events)).toEqual([
      "step-start",
      "text-delta",
      "text-delta",
      "step-finish",
      "finish",
    ]);
    expect(
      events
        .filter((e) => e.type === "text-delta")
        .map((e) => e.delta)
        .join(""),
    ).toBe("Hello there");
    expect(result.message).toEqual({ role: "assistant", content: "Hello there" });
    expect(result.finishReason).toBe("stop");
    expect(result.usage).toEqual(usage(7, 3));
    expect(result.messages).toEqual([user("hi"), { role: "assistant", content: "Hello there" }]);
    expect(result.steps).toHaveLength(1);
    expect(backend.requests[0]?.model).toBe("gpt-x");
    expect(backend.requests[0]?.tools).toBeUndefined();
    expect(backend.streamCalls).toBe(1);
  });

  it("delivers text deltas while the backend is still streaming", async () => {
    const gate = deferred();
    let backendDone = false;
    const backend = new FakeBackend([
      async function* (request, signal) {
        yield* gated(
          [{ type: "text-delta", delta: "first " }],
          gate.promise,
          text("second"),
        )(request, signal);
        backendDone = true;
      },
    ]);
    const run = runAgent({ backend, model: "m", messages: [user("hi")] });
    const seen: string[] = [];
    for await (const event of run) {
      if (event.type === "text-delta") {
        seen.push(`${event.delta}|${backendDone}`);
        gate.resolve();
      }
    }
    expect(seen[0]).toBe("first |false");
    expect(backendDone).toBe(true);
  });

  it("uses backend.generate when streaming is off", async () => {
    const backend = new FakeBackend([text("whole answer")]);
    const run = runAgent({ backend, model: "m", messages: [user("hi")], streaming: false });
    const events = await collect(run);
    expect(backend.generateCalls).toBe(1);
    expect(backend.streamCalls).toBe(0);
    expect(events.filter((e) => e.type === "text-delta")).toEqual([
      { type: "text-delta", step: 1, delta: "whole answer" },
    ]);
    expect((await run.result).message.content).toBe("whole answer");
  });

  it("passes reasoning deltas through as their own events", async () => {
    const backend = new FakeBackend([
      [{ type: "reasoning-delta", delta: "thinking..." }, ...text("ok")],
    ]);
    const events = await collect(runAgent({ backend, model: "m", messages: [user("hi")] }));
    expect(events[1]).toEqual({ type: "reasoning-delta", step: 1, delta: "thinking..." });
  });

  it("runs tool rounds through backend.generate too", async () => {
    const toolset = new FakeToolset({ a: { run: () => "A" } });
    const backend = new FakeBackend([calls([{ id: "c", name: "a" }]), text("done")]);
    const result = await runAgent({
      backend,
      model: "m",
      messages: [user("hi")],
      toolset,
      streaming: false,
    }).result;
    expect(backend.generateCalls).toBe(2);
    expect(sent(backend, 1).at(-1)).toEqual({ role: "tool", tool_call_id: "c", content: "A" });
    expect(result.message.content).toBe("done");
  });

  it("runs to completion when only the result is awaited", async () => {
    const toolset = new FakeToolset({ lookup: {} });
    const backend = new FakeBackend([calls([{ name: "lookup" }]), text("done")]);
    const result = await runAgent({ backend, model: "m", messages: [user("hi")], toolset }).result;
    expect(result.message.content).toBe("done");
    expect(toolset.calls).toHaveLength(1);
  });

  it("can be iterated only once", async () => {
    const run = runAgent({
      backend: new FakeBackend([text("x")]),
      model: "m",
      messages: [user("hi")],
    });
    run[Symbol.asyncIterator]();
    expect(() => run[Symbol.asyncIterator]()).toThrow(/only once/);
    await run.result;
  });
});

describe("runAgent: system prompt", () => {
  const prompt = "You are terse.";

  it("is prepended when the request has no system message", async () => {
    const backend = new FakeBackend([text("ok")]);
    const result = await runAgent({
      backend,
      model: "m",
      messages: [user("hi")],
      systemPrompt: prompt,
    }).result;
    expect(backend.requests[0]?.messages).toEqual([
      { role: "system", content: prompt },
      user("hi"),
    ]);
    expect(result.messages[0]).toEqual({ role: "system", content: prompt });
  });

  it.each(["system", "developer"] as const)(
    "is not added when the request has a %s message",
    async (role) => {
      const backend = new FakeBackend([text("ok")]);
      const messages: ChatMessage[] = [
        user("hi"),
        { role, content: "client rules" },
        user("again"),
      ];
      await runAgent({ backend, model: "m", messages, systemPrompt: prompt }).result;
      expect(backend.requests[0]?.messages).toEqual(messages);
    },
  );

  it("leaves the caller's array untouched", async () => {
    const messages = [user("hi")];
    await runAgent({
      backend: new FakeBackend([text("ok")]),
      model: "m",
      messages,
      systemPrompt: prompt,
    }).result;
    expect(messages).toEqual([user("hi")]);
  });
});

describe("runAgent: parameters", () => {
  it("uses the assistant's defaults, overridden key by key by the request", async () => {
    const backend = new FakeBackend([text("ok")]);
    await runAgent({
      backend,
      model: "m",
      messages: [user("hi")],
      defaultParams: { temperature: 0.2, top_p: 0.9, max_tokens: 100 },
      params: { temperature: 0.7, max_tokens: undefined, seed: 42 },
      extraBody: { top_k: 5 },
    }).result;
    expect(backend.requests[0]?.params).toEqual({
      temperature: 0.7,
      top_p: 0.9,
      max_tokens: 100,
      seed: 42,
    });
    expect(backend.requests[0]?.extraBody).toEqual({ top_k: 5 });
  });

  it("holds a forcing tool_choice only until the first tool round, and strips tool params without tools", async () => {
    const toolset = new FakeToolset({ lookup: {} });
    const backend = new FakeBackend([
      calls([{ name: "lookup" }]),
      calls([{ name: "lookup" }]),
      text("ok"),
    ]);
    await runAgent({
      backend,
      model: "m",
      messages: [user("hi")],
      toolset,
      maxToolIterations: 2,
      params: { tool_choice: "required", parallel_tool_calls: false, temperature: 0 },
    }).result;
    expect(backend.requests.map((r) => r.params)).toEqual([
      { tool_choice: "required", parallel_tool_calls: false, temperature: 0 },
      { parallel_tool_calls: false, temperature: 0 },
      { temperature: 0 },
    ]);
    expect(backend.requests.map((r) => r.tools?.length)).toEqual([1, 1, undefined]);
  });

  it("keeps tool_choice none across steps", async () => {
    const backend = new FakeBackend([calls([{ name: "lookup" }]), text("ok")]);
    await runAgent({
      backend,
      model: "m",
      messages: [user("hi")],
      toolset: new FakeToolset({ lookup: {} }),
      params: { tool_choice: "none" },
    }).result;
    expect(backend.requests.map((r) => r.params?.tool_choice)).toEqual(["none", "none"]);
  });
});

describe("runAgent: MCP tool rounds", () => {
  it("offers MCP tools, runs a call and feeds the result back", async () => {
    const toolset = new FakeToolset({
      weather__get: {
        server: "weather",
        tool: "get",
        description: "Current weather",
        inputSchema: { type: "object", properties: { city: { type: "string" } } },
        run: (args) => `sunny in ${String(args.city)}`,
      },
    });
    const backend = new FakeBackend([
      calls([{ id: "c1", name: "weather__get", args: { city: "Oslo" } }], {
        content: "Checking.",
        providerData: { signature: "sig" },
      }),
      text("It is sunny."),
    ]);
    const run = runAgent({ backend, model: "m", messages: [user("weather?")], toolset });
    const events = await collect(run);
    const result = await run.result;

    expect(backend.requests[0]?.tools).toEqual([
      {
        type: "function",
        function: {
          name: "weather__get",
          description: "Current weather",
          parameters: { type: "object", properties: { city: { type: "string" } } },
        },
      },
    ]);
    expect(toolset.calls.map((c) => [c.name, c.args])).toEqual([
      ["weather__get", { city: "Oslo" }],
    ]);
    expect(types(events)).toEqual([
      "step-start",
      "text-delta",
      "step-finish",
      "tool-call",
      "tool-result",
      "step-start",
      "text-delta",
      "text-delta",
      "step-finish",
      "finish",
    ]);
    expect(events[3]).toEqual({
      type: "tool-call",
      step: 1,
      callId: "c1",
      name: "weather__get",
      server: "weather",
      tool: "get",
      arguments: '{"city":"Oslo"}',
      client: false,
    });
    expect(events[4]).toMatchObject({
      type: "tool-result",
      step: 1,
      callId: "c1",
      server: "weather",
      tool: "get",
      result: { content: "sunny in Oslo", isError: false },
      isError: false,
    });
    const second = backend.requests[1]?.messages ?? [];
    expect(second.slice(1)).toEqual([
      {
        role: "assistant",
        content: "Checking.",
        providerData: { signature: "sig" },
        tool_calls: [
          {
            id: "c1",
            type: "function",
            function: { name: "weather__get", arguments: '{"city":"Oslo"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "sunny in Oslo" },
    ]);
    expect(result.messages).toEqual([...second, { role: "assistant", content: "It is sunny." }]);
    expect(result.steps.map((s) => [s.step, s.finishReason, s.toolCalls.length])).toEqual([
      [1, "tool_calls", 1],
      [2, "stop", 0],
    ]);
    expect(result.steps[0]?.toolCalls[0]).toMatchObject({
      callId: "c1",
      name: "weather__get",
      server: "weather",
      client: false,
      isError: false,
    });
  });

  it("lists the toolset once per run", async () => {
    const toolset = new FakeToolset({ a: {} });
    const backend = new FakeBackend([calls([{ name: "a" }]), calls([{ name: "a" }]), text("ok")]);
    await runAgent({ backend, model: "m", messages: [user("hi")], toolset }).result;
    expect(backend.requests).toHaveLength(3);
    expect(toolset.listCalls).toBe(1);
  });

  it("runs a step's calls concurrently and keeps results in call order", async () => {
    // "slow" ends only after "fast"'s result event, and "fast" only once "slow" has
    // started: each waits on the other's event, so the order holds under any load.
    const slowStarted = deferred();
    const fastReported = deferred();
    const toolset = new FakeToolset({
      slow: {
        run: async () => {
          slowStarted.resolve();
          await fastReported.promise;
          return "slow result";
        },
      },
      fast: {
        run: async () => {
          await slowStarted.promise;
          return "fast result";
        },
      },
    });
    const backend = new FakeBackend([
      calls([
        { id: "a", name: "slow" },
        { id: "b", name: "fast" },
      ]),
      text("both done"),
    ]);
    const run = runAgent({ backend, model: "m", messages: [user("go")], toolset });
    const events: AgentEvent[] = [];
    for await (const event of run) {
      events.push(event);
      if (event.type === "tool-result" && event.callId === "b") fastReported.resolve();
    }
    const [slow, fast] = toolset.calls;
    // Overlap: each call started before the other ended.
    expect(fast!.start).toBeLessThan(slow!.end!);
    expect(slow!.start).toBeLessThan(fast!.end!);
    // Results reach the model in call order...
    const toolMessages = backend.requests[1]?.messages.filter(
      (m) => m.role === "tool",
    ) as ToolMessage[];
    expect(toolMessages.map((m) => [m.tool_call_id, m.content])).toEqual([
      ["a", "slow result"],
      ["b", "fast result"],
    ]);
    // ...while result events arrive as each call completes.
    expect(events.filter((e) => e.type === "tool-result").map((e) => e.callId)).toEqual(["b", "a"]);
    expect((await run.result).steps[0]?.toolCalls.map((c) => c.callId)).toEqual(["a", "b"]);
  });

  it("marks a tool's own failure so adapters can flag it", async () => {
    const toolset = new FakeToolset({
      broken: { run: () => ({ content: "disk full", isError: true }) },
    });
    const backend = new FakeBackend([calls([{ id: "c", name: "broken" }]), text("sorry")]);
    const run = runAgent({ backend, model: "m", messages: [user("go")], toolset });
    const events = await collect(run);
    expect(backend.requests[1]?.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "c",
      content: "disk full",
      isError: true,
    });
    expect(events.find((e) => e.type === "tool-result")).toMatchObject({ isError: true });
  });

  it("turns a rejected tool call into a tool error without leaking a foreign message", async () => {
    const toolset = new FakeToolset({
      foreign: {
        run: () => {
          throw new Error("ENOENT /home/secret/path");
        },
      },
      ours: {
        run: () => {
          throw new ServiceUnavailableError("server 'fs' is restarting");
        },
      },
    });
    const backend = new FakeBackend([
      calls([
        { id: "f", name: "foreign" },
        { id: "o", name: "ours" },
      ]),
      text("ok"),
    ]);
    await runAgent({ backend, model: "m", messages: [user("go")], toolset }).result;
    const [foreign, ours] = sent(backend, 1).slice(-2) as ToolMessage[];
    expect(foreign).toMatchObject({ tool_call_id: "f", isError: true });
    expect(String(foreign?.content)).not.toContain("secret");
    expect(ours).toMatchObject({
      tool_call_id: "o",
      isError: true,
      content: "Error: server 'fs' is restarting",
    });
  });

  it("gives a call without an id a generated one, used for its result", async () => {
    const toolset = new FakeToolset({ a: {} });
    const backend = new FakeBackend([calls([{ id: "", name: "a" }]), text("ok")]);
    await runAgent({ backend, model: "m", messages: [user("go")], toolset }).result;
    const [assistant, tool] = sent(backend, 1).slice(-2) as [
      { tool_calls: { id: string }[] },
      ToolMessage,
    ];
    const id = assistant.tool_calls[0]?.id;
    expect(id).toMatch(/^call_\w+/);
    expect(tool.tool_call_id).toBe(id);
  });

  it("passes empty arguments as an empty object", async () => {
    const toolset = new FakeToolset({ now: { run: () => "12:00" } });
    const backend = new FakeBackend([calls([{ name: "now", args: "" }]), text("noon")]);
    await runAgent({ backend, model: "m", messages: [user("time?")], toolset }).result;
    expect(toolset.calls[0]?.args).toEqual({});
  });
});

describe("runAgent: bad calls become tool errors", () => {
  it("answers invalid JSON arguments with an error, counted against the budget", async () => {
    const toolset = new FakeToolset({ search: {} });
    const backend = new FakeBackend([
      calls([{ id: "bad", name: "search", args: '{"q": "unterminated' }]),
      text("giving up"),
    ]);
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      toolset,
      maxToolIterations: 1,
    });
    const events = await collect(run);
    expect(toolset.calls).toHaveLength(0);
    const tool = backend.requests[1]?.messages.at(-1) as ToolMessage;
    expect(tool).toMatchObject({ role: "tool", tool_call_id: "bad", isError: true });
    expect(tool.content).toMatch(/not valid JSON/);
    expect(events.find((e) => e.type === "tool-result")).toMatchObject({
      callId: "bad",
      isError: true,
    });
    // The bad round used the whole budget of 1: the next step offers no tools.
    expect(backend.requests[1]?.tools).toBeUndefined();
    expect((await run.result).message.content).toBe("giving up");
  });

  it("rejects arguments that are JSON but not an object", async () => {
    const toolset = new FakeToolset({ search: {} });
    const backend = new FakeBackend([calls([{ name: "search", args: "[1,2]" }]), text("ok")]);
    await runAgent({ backend, model: "m", messages: [user("go")], toolset }).result;
    expect(toolset.calls).toHaveLength(0);
    expect((sent(backend, 1).at(-1) as ToolMessage).content).toMatch(/must be a JSON object/);
  });

  it("answers an unknown tool name with an error listing the tools, counted against the budget", async () => {
    const toolset = new FakeToolset({ fs__read: {}, fs__write: {} });
    const backend = new FakeBackend([
      calls([
        { id: "u", name: "fs__delete" },
        { id: "k", name: "fs__read" },
      ]),
      text("ok"),
    ]);
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      toolset,
      maxToolIterations: 1,
    });
    const events = await collect(run);
    const [unknown, known] = sent(backend, 1).slice(-2) as ToolMessage[];
    expect(unknown).toMatchObject({ tool_call_id: "u", isError: true });
    expect(unknown?.content).toBe(
      'Error: there is no tool named "fs__delete". Available tools: fs__read, fs__write.',
    );
    expect(known).toEqual({ role: "tool", tool_call_id: "k", content: "fs__read ok" });
    expect(toolset.calls.map((c) => c.name)).toEqual(["fs__read"]);
    expect(events.find((e) => e.type === "tool-call" && e.callId === "u")).toMatchObject({
      client: false,
      name: "fs__delete",
    });
    expect(backend.requests[1]?.tools).toBeUndefined();
  });
});

describe("runAgent: tool budget", () => {
  it("offers no tools at all with a budget of 0", async () => {
    const toolset = new FakeToolset({ a: {} });
    const backend = new FakeBackend([text("plain answer")]);
    const result = await runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      toolset,
      clientTools: [weatherTool],
      maxToolIterations: 0,
      params: { tool_choice: "auto" },
    }).result;
    expect(backend.requests[0]?.tools).toBeUndefined();
    expect(backend.requests[0]?.params).toBeUndefined();
    expect(toolset.listCalls).toBe(0);
    expect(result.message.content).toBe("plain answer");
  });

  it("drops tool calls a model makes on a step without tools", async () => {
    const backend = new FakeBackend([calls([{ name: "a" }], { content: "I would call a." })]);
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      toolset: new FakeToolset({ a: {} }),
      maxToolIterations: 0,
    });
    const events = await collect(run);
    const result = await run.result;
    expect(result.finishReason).toBe("stop");
    expect(result.message).toEqual({ role: "assistant", content: "I would call a." });
    expect(events.some((e) => e.type === "tool-call")).toBe(false);
  });

  it("with a budget of 1 runs one tool round, then a step without tools", async () => {
    const toolset = new FakeToolset({ a: {} });
    const backend = new FakeBackend([calls([{ name: "a" }]), text("final")]);
    const result = await runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      toolset,
      maxToolIterations: 1,
    }).result;
    expect(backend.requests.map((r) => r.tools?.map((t) => t.function.name))).toEqual([
      ["a"],
      undefined,
    ]);
    expect(toolset.calls).toHaveLength(1);
    expect(result.message.content).toBe("final");
  });

  it("ends a model that loops on a tool at the budget with a forced answer", async () => {
    const toolset = new FakeToolset({ again: {} });
    // The model calls the tool whenever tools are offered, and answers otherwise.
    const backend = new FakeBackend(
      [
        async function* (request) {
          yield* request.tools ? calls([{ name: "again" }]) : text("forced answer");
        },
      ],
      { repeatLast: true },
    );
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      toolset,
      maxToolIterations: 3,
    });
    const events = await collect(run);
    const result = await run.result;
    expect(toolset.calls).toHaveLength(3);
    expect(backend.requests).toHaveLength(4);
    expect(backend.requests.map((r) => r.tools !== undefined)).toEqual([true, true, true, false]);
    expect(result.message.content).toBe("forced answer");
    expect(result.finishReason).toBe("stop");
    expect(result.steps).toHaveLength(4);
    expect(events.filter((e) => e.type === "step-start")).toHaveLength(4);
  });

  it("defaults to 10 tool rounds", async () => {
    const toolset = new FakeToolset({ again: {} });
    const backend = new FakeBackend(
      [
        async function* (request) {
          yield* request.tools ? calls([{ name: "again" }]) : text("forced");
        },
      ],
      { repeatLast: true },
    );
    await runAgent({ backend, model: "m", messages: [user("go")], toolset }).result;
    expect(toolset.calls).toHaveLength(10);
    expect(backend.requests).toHaveLength(11);
  });
});

describe("runAgent: client tools", () => {
  it("ends the run with the client's calls and finish_reason tool_calls", async () => {
    const toolset = new FakeToolset({ mcp__x: {} });
    const backend = new FakeBackend([
      calls([{ id: "w", name: "get_weather", args: { city: "Rome" } }], {
        content: "Let me check.",
      }),
    ]);
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("weather?")],
      toolset,
      clientTools: [weatherTool],
    });
    const events = await collect(run);
    const result = await run.result;
    expect(backend.requests[0]?.tools?.map((t) => t.function.name)).toEqual([
      "mcp__x",
      "get_weather",
    ]);
    expect(backend.requests[0]?.tools?.[1]).toEqual(weatherTool);
    expect(result.finishReason).toBe("tool_calls");
    expect(result.message).toEqual({
      role: "assistant",
      content: "Let me check.",
      tool_calls: [
        {
          id: "w",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Rome"}' },
        },
      ],
    });
    expect(events.filter((e) => e.type === "tool-call")).toEqual([
      {
        type: "tool-call",
        step: 1,
        callId: "w",
        name: "get_weather",
        arguments: '{"city":"Rome"}',
        client: true,
      },
    ]);
    expect(toolset.calls).toHaveLength(0);
    expect(result.steps[0]?.toolCalls).toEqual([
      { callId: "w", name: "get_weather", client: true },
    ]);
  });

  it("with mixed MCP and client calls, runs none of the MCP calls and returns only the client's", async () => {
    const toolset = new FakeToolset({ mcp__x: {} });
    const backend = new FakeBackend([
      calls([
        { id: "m1", name: "mcp__x" },
        { id: "w", name: "get_weather", args: { city: "Rome" } },
        { id: "u", name: "nope" },
      ]),
    ]);
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      toolset,
      clientTools: [weatherTool],
    });
    const events = await collect(run);
    const result = await run.result;
    expect(toolset.calls).toHaveLength(0);
    expect(result.finishReason).toBe("tool_calls");
    expect(result.message.tool_calls?.map((c) => c.id)).toEqual(["w"]);
    expect(result.messages.at(-1)).toEqual(result.message);
    expect(events.filter((e) => e.type === "tool-call").map((e) => e.callId)).toEqual(["w"]);
    expect(events.some((e) => e.type === "tool-result")).toBe(false);
    expect(backend.requests).toHaveLength(1);
  });

  it("lets a client tool shadow an MCP tool of the same name", async () => {
    const toolset = new FakeToolset({ get_weather: { server: "w", tool: "get" } });
    const backend = new FakeBackend([calls([{ id: "w", name: "get_weather" }])]);
    const result = await runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      toolset,
      clientTools: [weatherTool],
    }).result;
    expect(backend.requests[0]?.tools).toEqual([weatherTool]);
    expect(result.finishReason).toBe("tool_calls");
    expect(toolset.calls).toHaveLength(0);
  });

  it("passes a client call's invalid JSON through to the client untouched", async () => {
    const backend = new FakeBackend([calls([{ id: "w", name: "get_weather", args: "{oops" }])]);
    const result = await runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      clientTools: [weatherTool],
    }).result;
    expect(result.message.tool_calls?.[0]?.function.arguments).toBe("{oops");
  });

  it("can follow MCP rounds", async () => {
    const toolset = new FakeToolset({ mcp__x: {} });
    const backend = new FakeBackend([
      calls([{ id: "m1", name: "mcp__x" }]),
      calls([{ id: "w", name: "get_weather" }]),
    ]);
    const result = await runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      toolset,
      clientTools: [weatherTool],
    }).result;
    expect(toolset.calls).toHaveLength(1);
    expect(result.finishReason).toBe("tool_calls");
    expect(result.message.tool_calls?.map((c) => c.id)).toEqual(["w"]);
    expect(result.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
  });
});

describe("runAgent: usage", () => {
  it("sums usage over steps, including cached and reasoning tokens", async () => {
    const toolset = new FakeToolset({ a: {} });
    const backend = new FakeBackend([
      calls([{ name: "a" }], { usage: usage(100, 20, { cachedTokens: 50 }) }),
      calls([{ name: "a" }], { usage: usage(150, 30, { reasoningTokens: 10 }) }),
      text("done", usage(200, 40, { cachedTokens: 100 })),
    ]);
    const run = runAgent({ backend, model: "m", messages: [user("go")], toolset });
    const events = await collect(run);
    const result = await run.result;
    expect(result.usage).toEqual({
      promptTokens: 450,
      completionTokens: 90,
      totalTokens: 540,
      cachedTokens: 150,
      reasoningTokens: 10,
    });
    expect(events.filter((e) => e.type === "step-finish").map((e) => e.usage.promptTokens)).toEqual(
      [100, 150, 200],
    );
    expect(result.steps.map((s) => s.usage.totalTokens)).toEqual([120, 180, 240]);
  });
});

describe("runAgent: failures", () => {
  it("ends with the backend's AiProxyError as an error event and a rejected result", async () => {
    const upstream = new UpstreamError({
      upstreamStatus: 429,
      message: "slow down",
      retryAfter: 3,
    });
    const run = runAgent({
      backend: new FakeBackend([failing(upstream)]),
      model: "m",
      messages: [user("hi")],
    });
    const events = await collect(run);
    expect(events.at(-1)).toEqual({ type: "error", error: upstream });
    await expect(run.result).rejects.toBe(upstream);
  });

  it("wraps a foreign error in an InternalError that does not repeat its message", async () => {
    const run = runAgent({
      backend: new FakeBackend([
        failing(new TypeError("cannot read /srv/keys/sk-live-123"), text("partial")),
      ]),
      model: "m",
      messages: [user("hi")],
    });
    const error = await run.result.catch((e: unknown) => e);
    expect(InternalError.isInstance(error)).toBe(true);
    expect(String((error as Error).message)).not.toContain("sk-live");
  });

  it("fails when the stream ends without a finish event", async () => {
    const run = runAgent({
      backend: new FakeBackend([[{ type: "text-delta", delta: "cut" }]]),
      model: "m",
      messages: [user("hi")],
    });
    const error = await run.result.catch((e: unknown) => e);
    expect(UpstreamError.isInstance(error)).toBe(true);
  });

  it("fails when the toolset cannot list its tools", async () => {
    const toolset = new FakeToolset({});
    toolset.list = async () => {
      throw new TimeoutError("listing tools timed out");
    };
    const run = runAgent({
      backend: new FakeBackend([text("x")]),
      model: "m",
      messages: [user("hi")],
      toolset,
    });
    await expect(run.result).rejects.toThrow("listing tools timed out");
  });

  it("never leaves an unhandled rejection when the caller only iterates", async () => {
    const run = runAgent({
      backend: new FakeBackend([
        failing(new UpstreamError({ upstreamStatus: 500, message: "boom" })),
      ]),
      model: "m",
      messages: [user("hi")],
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const events = await collect(run);
      expect(events.at(-1)?.type).toBe("error");
      // Node reports a rejection nobody handled once the microtasks of the turn
      // that rejected it have run: one macrotask later, not after some time.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("runAgent: abort", () => {
  it("aborts a running tool and ends promptly with an AbortedError", async () => {
    const started = deferred();
    let toolSawAbort = false;
    const toolset = new FakeToolset({
      wait: {
        run: async (_args, signal) => {
          started.resolve();
          await new Promise((_resolve, reject) => {
            signal?.addEventListener("abort", () => {
              toolSawAbort = true;
              reject(signal.reason);
            });
          });
          return "never";
        },
      },
    });
    const controller = new AbortController();
    const run = runAgent({
      backend: new FakeBackend([calls([{ name: "wait" }]), text("unreachable")]),
      model: "m",
      messages: [user("go")],
      toolset,
      signal: controller.signal,
    });
    const events: AgentEvent[] = [];
    const consumed = (async () => {
      for await (const e of run) events.push(e);
    })();
    await started.promise;
    const abortedAt = performance.now();
    controller.abort();
    const error = await run.result.catch((e: unknown) => e);
    await consumed;
    expect(performance.now() - abortedAt).toBeLessThan(2000);
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(toolSawAbort).toBe(true);
    expect(toolset.calls[0]?.signal?.aborted).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: "error" });
  });

  it("ends promptly even when a tool ignores the signal", async () => {
    const started = deferred();
    const toolset = new FakeToolset({
      stubborn: {
        run: () => {
          started.resolve();
          return new Promise<string>(() => {});
        },
      },
    });
    const controller = new AbortController();
    const run = runAgent({
      backend: new FakeBackend([calls([{ name: "stubborn" }])]),
      model: "m",
      messages: [user("go")],
      toolset,
      signal: controller.signal,
    });
    await started.promise;
    controller.abort();
    await expect(run.result).rejects.toSatisfy((e) => AbortedError.isInstance(e));
  });

  it("aborts the backend call", async () => {
    const backend = new FakeBackend([
      gated([{ type: "text-delta", delta: "part" }], new Promise(() => {}), []),
    ]);
    const controller = new AbortController();
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      signal: controller.signal,
    });
    for await (const event of run) {
      if (event.type === "text-delta") controller.abort();
    }
    await expect(run.result).rejects.toSatisfy((e) => AbortedError.isInstance(e));
    expect(backend.signals[0]?.aborted).toBe(true);
  });

  it("keeps an AiProxyError abort reason, such as a gateway deadline", async () => {
    const called = deferred();
    const waiting = gated([], new Promise(() => {}), []);
    const backend = new FakeBackend([
      (request, signal) => {
        called.resolve();
        return waiting(request, signal);
      },
    ]);
    const controller = new AbortController();
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      signal: controller.signal,
    });
    // The deadline strikes while the backend call is in flight.
    await called.promise;
    controller.abort(new TimeoutError("request deadline"));
    await expect(run.result).rejects.toThrow("request deadline");
    expect(backend.signals[0]?.aborted).toBe(true);
  });

  it("does not call the backend when the signal is already aborted", async () => {
    const backend = new FakeBackend([text("x")]);
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("go")],
      signal: AbortSignal.abort(),
    });
    await expect(run.result).rejects.toSatisfy((e) => AbortedError.isInstance(e));
    expect(backend.requests).toHaveLength(0);
  });

  it("aborts the run when the consumer stops iterating", async () => {
    let toolSignal: AbortSignal | undefined;
    const toolset = new FakeToolset({
      wait: {
        run: async (_args, signal) => {
          toolSignal = signal;
          await new Promise((_r, reject) =>
            signal?.addEventListener("abort", () => reject(signal.reason)),
          );
          return "never";
        },
      },
    });
    const run = runAgent({
      backend: new FakeBackend([calls([{ name: "wait" }])]),
      model: "m",
      messages: [user("go")],
      toolset,
    });
    for await (const event of run) {
      if (event.type === "tool-call") break;
    }
    await expect(run.result).rejects.toSatisfy((e) => AbortedError.isInstance(e));
    expect(toolSignal?.aborted).toBe(true);
  });
});
