import type { ChatMessage, ToolMessage } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { runAgent } from "../src/index.js";
import { calls, collect, FakeBackend, FakeToolset, text } from "./fakes.js";

const user = (content: string): ChatMessage => ({ role: "user", content });

function toolset() {
  return new FakeToolset({
    fs__read_file: { server: "fs", tool: "read_file", run: () => "contents" },
    fs__write_file: { server: "fs", tool: "write_file", run: () => "written" },
  });
}

const holdWrites = (call: { name: string }) =>
  call.name === "fs__write_file" ? ("hold" as const) : ("run" as const);

describe("runAgent: approvals", () => {
  it("holds a call that needs approval and runs the step's other calls", async () => {
    const tools = toolset();
    const backend = new FakeBackend([
      calls([
        { id: "r", name: "fs__read_file", args: { path: "a" } },
        { id: "w", name: "fs__write_file", args: { path: "b" } },
      ]),
    ]);
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("copy a to b")],
      toolset: tools,
      approve: holdWrites,
    });
    const events = await collect(run);
    const result = await run.result;

    expect(tools.calls.map((c) => c.name)).toEqual(["fs__read_file"]);
    expect(result.finishReason).toBe("tool_calls");
    expect(result.held).toEqual([
      {
        callId: "w",
        name: "fs__write_file",
        server: "fs",
        tool: "write_file",
        arguments: '{"path":"b"}',
      },
    ]);
    const held = events.filter((e) => e.type === "tool-call" && e.held);
    expect(held).toHaveLength(1);
    // The transcript keeps the held call unanswered, for the client's answer.
    const toolMessages = result.messages.filter((m): m is ToolMessage => m.role === "tool");
    expect(toolMessages.map((m) => m.tool_call_id)).toEqual(["r"]);
    expect(backend.requests).toHaveLength(1);
  });

  it("runs an approved call before the first step and goes on", async () => {
    const first = await runAgent({
      backend: new FakeBackend([calls([{ id: "w", name: "fs__write_file", args: {} }])]),
      model: "m",
      messages: [user("write b")],
      toolset: toolset(),
      approve: holdWrites,
    }).result;

    const tools = toolset();
    const backend = new FakeBackend([text("done")]);
    const run = runAgent({
      backend,
      model: "m",
      messages: first.messages,
      toolset: tools,
      approve: holdWrites,
      approvals: [{ callId: "w", approve: true }],
    });
    const events = await collect(run);
    const result = await run.result;

    expect(tools.calls.map((c) => c.name)).toEqual(["fs__write_file"]);
    expect(result.message.content).toBe("done");
    const sent = backend.requests[0]?.messages ?? [];
    expect(sent.at(-1)).toMatchObject({ role: "tool", tool_call_id: "w", content: "written" });
    expect(events.find((e) => e.type === "tool-result")).toMatchObject({
      step: 0,
      callId: "w",
      isError: false,
    });
    expect(result.steps[0]).toMatchObject({ step: 0, toolCalls: [{ callId: "w" }] });
  });

  it("answers a refused or unanswered call with a refusal the model sees", async () => {
    const history: ChatMessage[] = [
      user("write b and c"),
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "b", type: "function", function: { name: "fs__write_file", arguments: "{}" } },
          { id: "c", type: "function", function: { name: "fs__write_file", arguments: "{}" } },
        ],
      },
    ];
    const tools = toolset();
    const backend = new FakeBackend([text("ok, not written")]);
    await runAgent({
      backend,
      model: "m",
      messages: [...history, user("never mind")],
      toolset: tools,
      approvals: [{ callId: "b", approve: false, reason: "not today" }],
    }).result;

    expect(tools.calls).toHaveLength(0);
    const sent = backend.requests[0]?.messages ?? [];
    // Spliced right after the assistant message, before the later user message.
    expect(sent.map((m) => m.role)).toEqual(["user", "assistant", "tool", "tool", "user"]);
    expect(sent[2]).toMatchObject({ tool_call_id: "b", isError: true });
    expect(String(sent[2]?.content)).toContain("not today");
    expect(sent[3]).toMatchObject({ tool_call_id: "c", isError: true });
  });

  it("refuses a call on a surface that cannot ask for approval", async () => {
    const tools = toolset();
    const backend = new FakeBackend([
      calls([{ id: "w", name: "fs__write_file", args: {} }]),
      text("could not write"),
    ]);
    const result = await runAgent({
      backend,
      model: "m",
      messages: [user("write b")],
      toolset: tools,
      approve: (call) => (call.tool === "write_file" ? "refuse" : "run"),
    }).result;

    expect(tools.calls).toHaveLength(0);
    expect(result.message.content).toBe("could not write");
    expect(backend.requests[1]?.messages.at(-1)).toMatchObject({
      role: "tool",
      tool_call_id: "w",
      isError: true,
    });
  });

  it("a two-model turn cannot hold a call, so it refuses it and runs the rest", async () => {
    const tools = toolset();
    const decider = new FakeBackend([
      calls([
        { id: "r", name: "fs__read_file", args: {} },
        { id: "w", name: "fs__write_file", args: {} },
      ]),
      text("no more"),
    ]);
    const backend = new FakeBackend([text("read it, could not write")]);
    const result = await runAgent({
      backend,
      model: "m",
      messages: [user("copy")],
      toolset: tools,
      approve: holdWrites,
      toolStrategy: { kind: "two-model", backend: decider, model: "d" },
    }).result;

    expect(tools.calls.map((c) => c.name)).toEqual(["fs__read_file"]);
    expect(result.held).toBeUndefined();
    const results = result.messages.filter((m): m is ToolMessage => m.role === "tool");
    expect(results.map((m) => [m.tool_call_id, m.isError === true])).toEqual([
      ["r", false],
      ["w", true],
    ]);
  });
});
