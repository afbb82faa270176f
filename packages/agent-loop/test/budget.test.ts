import type { BackendEvent, ChatMessage, LlmRequest } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { runAgent } from "../src/index.js";
import {
  type ChatCompletionChunk,
  toChatCompletion,
  toChatCompletionChunks,
} from "../src/openai/index.js";
import { calls, collect, FakeBackend, FakeToolset, text, usage } from "./fakes.js";

/**
 * The last permitted step goes without tools to force an answer. A model that
 * still asks for tools there, or says nothing, has not answered: the client
 * gets the model's text if any, else a note that the budget ran out, and
 * `finish_reason: "length"` either way.
 */

const messages: ChatMessage[] = [{ role: "user", content: "go" }];

/** A model that calls `again` whenever it is offered tools, and `forced` otherwise. */
function loopingBackend(forced: BackendEvent[]): FakeBackend {
  return new FakeBackend(
    [
      async function* (request: LlmRequest) {
        yield* request.tools ? calls([{ name: "again" }]) : forced;
      },
    ],
    { repeatLast: true },
  );
}

function run(backend: FakeBackend, streaming: boolean, maxToolIterations = 2) {
  const toolset = new FakeToolset({ again: {} });
  return {
    toolset,
    run: runAgent({ backend, model: "m", messages, toolset, maxToolIterations, streaming }),
  };
}

function contentOf(chunks: ChatCompletionChunk[]): string {
  return chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
}

function finishOf(chunks: ChatCompletionChunk[]): string | null | undefined {
  return chunks.findLast((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason;
}

describe.each([
  ["streamed", true],
  ["not streamed", false],
])("tool budget spent (%s)", (_label, streaming) => {
  it("a model that still calls tools, with no text, gets a note and finish_reason length", async () => {
    const backend = loopingBackend(calls([{ name: "again" }]));
    const { toolset, run: agent } = run(backend, streaming);
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of toChatCompletionChunks(agent, { model: "a" })) {
      if ("error" in chunk) throw new Error(chunk.error.message);
      chunks.push(chunk);
    }
    const result = await agent.result;

    expect(toolset.calls).toHaveLength(2);
    expect(backend.requests.map((r) => r.tools !== undefined)).toEqual([true, true, false]);
    expect(result.finishReason).toBe("length");
    expect(result.message.tool_calls).toBeUndefined();
    expect(result.message.content).toMatch(/whole tool budget \(2 tool rounds\)/);
    expect(result.steps.at(-1)?.finishReason).toBe("length");
    // The client sees the same note and reason, streamed or rendered whole.
    expect(contentOf(chunks)).toBe(result.message.content);
    expect(finishOf(chunks)).toBe("length");
    const completion = toChatCompletion(result, { model: "a" });
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.choices[0]?.message.content).toBe(result.message.content);
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it("a model that calls tools with some text gets its text, and finish_reason length", async () => {
    const backend = loopingBackend(calls([{ name: "again" }], { content: "So far: 42." }));
    const { run: agent } = run(backend, streaming);
    const events = await collect(agent);
    const result = await agent.result;
    expect(result.finishReason).toBe("length");
    expect(result.message).toMatchObject({ role: "assistant", content: "So far: 42." });
    expect(result.message.tool_calls).toBeUndefined();
    const streamed = events.flatMap((e) => (e.type === "text-delta" ? [e.delta] : []));
    expect(streamed.join("")).toBe("So far: 42.");
    expect(events.filter((e) => e.type === "tool-call")).toHaveLength(2);
  });

  it("a model that answers nothing at all gets the note, and finish_reason length", async () => {
    const backend = loopingBackend(text("", usage(3, 0)));
    const { run: agent } = run(backend, streaming, 1);
    const result = await agent.result;
    expect(result.finishReason).toBe("length");
    expect(result.message.content).toMatch(/whole tool budget \(1 tool round\)/);
  });

  it("a model that answers keeps its answer and its own finish reason", async () => {
    const backend = loopingBackend(text("forced answer"));
    const { run: agent } = run(backend, streaming);
    const result = await agent.result;
    expect(result.finishReason).toBe("stop");
    expect(result.message.content).toBe("forced answer");
  });
});

describe("no tool budget at all", () => {
  it("keeps the rule for budget 0: calls dropped, the text is the answer with stop", async () => {
    const backend = new FakeBackend([calls([{ name: "again" }], { content: "I would call it." })]);
    const result = await runAgent({
      backend,
      model: "m",
      messages,
      toolset: new FakeToolset({ again: {} }),
      maxToolIterations: 0,
    }).result;
    expect(result.finishReason).toBe("stop");
    expect(result.message.content).toBe("I would call it.");
  });

  it("does not replace an empty answer from a run that was never offered tools", async () => {
    const backend = new FakeBackend([text("")]);
    const result = await runAgent({ backend, model: "m", messages }).result;
    expect(result.finishReason).toBe("stop");
    expect(result.message.content).toBe("");
  });
});
