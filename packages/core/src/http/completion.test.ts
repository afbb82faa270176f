import { describe, expect, it } from "vitest";
import { answeredWhole, completionEvents, completionExtensions } from "./completion.js";
import type { UpstreamBody } from "./exchange.js";

function bodyWith(contentType: string): UpstreamBody {
  return {
    status: 200,
    headers: new Headers({ "content-type": contentType }),
    json: async () => ({}),
    events: async function* () {},
  };
}

describe("answeredWhole", () => {
  it("is true for a JSON body and false for an event stream", () => {
    expect(answeredWhole(bodyWith("application/json; charset=utf-8"))).toBe(true);
    expect(answeredWhole(bodyWith("text/event-stream"))).toBe(false);
    expect(answeredWhole(bodyWith("application/jsonl"))).toBe(false);
  });
});

describe("completionEvents", () => {
  it("yields the text, each tool call's name and arguments, then the finish", () => {
    const message = {
      role: "assistant" as const,
      content: "hi",
      tool_calls: [
        { id: "c1", type: "function" as const, function: { name: "echo", arguments: "{}" } },
      ],
    };
    const usage = { promptTokens: 1, completionTokens: 2, totalTokens: 3 };
    const events = [...completionEvents({ id: "r1", message, finishReason: "tool_calls", usage })];
    expect(events).toEqual([
      { type: "text-delta", delta: "hi" },
      { type: "tool-call-delta", index: 0, id: "c1", name: "echo" },
      { type: "tool-call-delta", index: 0, argumentsDelta: "{}" },
      { type: "finish", finishReason: "tool_calls", usage, message, id: "r1" },
    ]);
  });

  it("yields no text event for empty content and no id the completion lacks", () => {
    const message = { role: "assistant" as const, content: "" };
    const usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    expect([...completionEvents({ message, finishReason: "stop", usage })]).toEqual([
      { type: "finish", finishReason: "stop", usage, message },
    ]);
  });
});

describe("completionExtensions", () => {
  it("keeps confidence and x_* fields and nothing else", () => {
    expect(
      completionExtensions({ id: "r", confidence: 0.9, x_needle: { confidence: 1 }, xy: 1 }),
    ).toEqual({ confidence: 0.9, x_needle: { confidence: 1 } });
  });

  it("is undefined for a body without them", () => {
    expect(completionExtensions({ id: "r", choices: [] })).toBeUndefined();
  });
});
