import { type ChatMessage, UpstreamError } from "@aiproxy/core";
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { runAgent } from "../src/index.js";
import {
  type ResponseObject,
  type ResponseRequestFields,
  type ResponseStreamEvent,
  responsesId,
  toResponseObject,
  toResponsesResponse,
  toResponsesStreamEvents,
} from "../src/responses/index.js";
import {
  calls,
  collect,
  deferred,
  FakeBackend,
  FakeToolset,
  failing,
  text,
  usage,
} from "./fakes.js";

const messages: ChatMessage[] = [{ role: "user", content: "hi" }];
const request: ResponseRequestFields = {
  instructions: null,
  max_output_tokens: null,
  metadata: {},
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: null, summary: null },
  store: true,
  temperature: null,
  text: { format: { type: "text" } },
  tool_choice: "auto",
  tools: [],
  top_p: null,
  truncation: "disabled",
  user: null,
};
const options = { model: "helper", request };
const weather = { type: "function" as const, function: { name: "get_weather", parameters: {} } };

function events(run: ReturnType<typeof runAgent>) {
  return collect(toResponsesStreamEvents(run, options));
}

describe("toResponseObject", () => {
  it("reasoning, text and usage as the official client types them", async () => {
    const backend = new FakeBackend([
      [
        { type: "reasoning-delta", delta: "Think." },
        ...text("Answer.", usage(10, 5, { cachedTokens: 2, reasoningTokens: 3 })),
      ],
    ]);
    const response = await toResponseObject(runAgent({ backend, model: "m", messages }), options);
    // Type-level: what we produce is what the openai client reads.
    const typed: Pick<OpenAI.Responses.Response, "id" | "status" | "output"> = response;
    const typedUsage: OpenAI.Responses.ResponseUsage | null = response.usage;
    expect(typed.status).toBe("completed");
    expect(typedUsage).not.toBeNull();
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    expect(response.output[0]).toMatchObject({
      content: [{ type: "reasoning_text", text: "Think." }],
    });
    expect(response.output[1]).toMatchObject({
      content: [{ type: "output_text", text: "Answer." }],
      status: "completed",
    });
    expect(response.usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 2, cache_write_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 15,
    });
  });

  it("a client tool call ends the response with a function_call item", async () => {
    const backend = new FakeBackend([
      calls([{ id: "call_9", name: "get_weather", args: { city: "Oslo" } }]),
    ]);
    const response = await toResponseObject(
      runAgent({ backend, model: "m", messages, clientTools: [weather] }),
      options,
    );
    expect(response.output).toEqual([
      expect.objectContaining({
        type: "function_call",
        call_id: "call_9",
        name: "get_weather",
        arguments: '{"city":"Oslo"}',
        status: "completed",
      }),
    ]);
  });

  it("a failed MCP call is an mcp_call item with the tool's error, and the run goes on", async () => {
    const backend = new FakeBackend([
      calls([{ name: "docs__search", args: { q: "x" } }]),
      text("Sorry."),
    ]);
    const toolset = new FakeToolset({
      docs__search: {
        server: "docs",
        tool: "search",
        run: () => ({ content: "index offline", isError: true }),
      },
    });
    const response = await toResponseObject(
      runAgent({ backend, model: "m", messages, toolset }),
      options,
    );
    expect(response.output[0]).toMatchObject({
      type: "mcp_call",
      server_label: "docs",
      name: "search",
      arguments: '{"q":"x"}',
      output: null,
      status: "failed",
      error: {
        type: "mcp_tool_execution_error",
        content: [{ type: "text", text: "index offline" }],
      },
    });
    expect(response.usage?.total_tokens).toBe(30);
  });

  it("onComplete runs before the response is returned, and its failure is the response's", async () => {
    const seen: string[] = [];
    const backend = new FakeBackend([text("ok")]);
    const response = await toResponseObject(runAgent({ backend, model: "m", messages }), {
      ...options,
      onComplete: async (r) => {
        seen.push(r.id);
      },
    });
    expect(seen).toEqual([response.id]);
    await expect(
      toResponseObject(runAgent({ backend: new FakeBackend([text("ok")]), model: "m", messages }), {
        ...options,
        onComplete: () => Promise.reject(new Error("store down")),
      }),
    ).rejects.toThrow("store down");
  });
});

describe("Responses stream events", () => {
  it("are numbered in order; each item is added before its deltas and done after them", async () => {
    const backend = new FakeBackend([
      calls([{ name: "docs__search", args: {} }]),
      text("Found it."),
    ]);
    const toolset = new FakeToolset({
      docs__search: { server: "docs", tool: "search", run: () => "hit" },
    });
    const out = await events(runAgent({ backend, model: "m", messages, toolset }));
    expect(out.map((e) => e.sequence_number)).toEqual(out.map((_, i) => i));
    expect(out.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.mcp_call_arguments.delta",
      "response.mcp_call_arguments.done",
      "response.mcp_call.in_progress",
      "response.mcp_call.completed",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const done = out.find((e) => e.type === "response.output_item.done");
    expect(done && "item" in done && done.item).toMatchObject({ type: "mcp_call", output: "hit" });
  });

  it("the snapshots in events do not change afterwards", async () => {
    const backend = new FakeBackend([text("abc")]);
    const out = await events(runAgent({ backend, model: "m", messages }));
    const created = out[0] as ResponseStreamEvent & { response: ResponseObject };
    expect(created.response.output).toEqual([]);
    const added = out.find((e) => e.type === "response.output_item.added");
    expect(added && "item" in added && added.item).toMatchObject({
      status: "in_progress",
      content: [],
    });
  });

  it("a failure mid-stream ends with response.failed and an error event", async () => {
    const backend = new FakeBackend([
      failing(new UpstreamError({ upstreamStatus: 529, message: "Overloaded" }), [
        { type: "text-delta", delta: "part" },
      ]),
    ]);
    const out = await events(runAgent({ backend, model: "m", messages }));
    const [failed, error] = out.slice(-2);
    expect(failed?.type).toBe("response.failed");
    const response = (failed as { response: ResponseObject }).response;
    expect(response.status).toBe("failed");
    expect(response.error?.message).toContain("Overloaded");
    expect(error).toMatchObject({ type: "error", message: expect.stringContaining("Overloaded") });
    expect(out.map((e) => e.sequence_number)).toEqual(out.map((_, i) => i));
  });
});

describe("toResponsesResponse", () => {
  it("an early failure is a real HTTP error in OpenAI's shape", async () => {
    const backend = new FakeBackend([
      failing(new UpstreamError({ upstreamStatus: 429, message: "slow down", retryAfter: 3 })),
    ]);
    const response = await toResponsesResponse(runAgent({ backend, model: "m", messages }), {
      ...options,
      stream: true,
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    const body = await response.json();
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  });

  it("a stream tells the client it completed only once onComplete has finished", async () => {
    const stored = deferred();
    let storing = false;
    const backend = new FakeBackend([text("ok")]);
    const response = await toResponsesResponse(runAgent({ backend, model: "m", messages }), {
      ...options,
      stream: true,
      onComplete: async () => {
        storing = true;
        await stored.promise;
      },
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let body = "";
    while (!storing) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended before onComplete was called");
      body += decoder.decode(value);
    }
    expect(body).not.toContain("response.completed");
    stored.resolve();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      body += decoder.decode(value);
    }
    expect(body).toContain("event: response.completed");
  });
});

describe("held calls and namespaced function calls", () => {
  it("a held call is an mcp_approval_request item, added and done, ending a completed response", async () => {
    const toolset = new FakeToolset({
      fs__write_file: { server: "fs", tool: "write_file", run: () => "written" },
    });
    const backend = new FakeBackend([calls([{ id: "w", name: "fs__write_file", args: {} }])]);
    const run = runAgent({
      backend,
      model: "m",
      messages,
      toolset,
      approve: () => "hold",
    });
    const all = await collect(toResponsesStreamEvents(run, options));
    const final = all.at(-1) as { type: string; response: ResponseObject };
    expect(final.type).toBe("response.completed");
    const item = final.response.output.at(-1);
    expect(item).toEqual({
      id: expect.stringMatching(/^mcpr_[0-9a-f]{48}$/),
      type: "mcp_approval_request",
      server_label: "fs",
      name: "write_file",
      arguments: "{}",
    });
    const typed: OpenAI.Responses.ResponseOutputItem | undefined = item;
    expect(typed?.type).toBe("mcp_approval_request");
    expect(
      all.filter((e) => e.type.startsWith("response.output_item.")).map((e) => e.type),
    ).toEqual(["response.output_item.added", "response.output_item.done"]);
    expect(toolset.calls).toHaveLength(0);
  });

  it("functionName shows a flattened call under its own name and namespace", async () => {
    const tool = { type: "function" as const, function: { name: "ns__spawn", parameters: {} } };
    const backend = new FakeBackend([calls([{ id: "c", name: "ns__spawn", args: {} }])]);
    const run = runAgent({ backend, model: "m", messages, clientTools: [tool] });
    const response = await toResponseObject(run, {
      ...options,
      functionName: (offered) =>
        offered === "ns__spawn" ? { name: "spawn", namespace: "ns" } : undefined,
    });
    expect(response.output[0]).toMatchObject({
      type: "function_call",
      call_id: "c",
      name: "spawn",
      namespace: "ns",
    });
  });
});

describe("responsesId", () => {
  it("gives distinct ids of OpenAI's shape, also across refills of its random pool", () => {
    const ids = Array.from({ length: 1000 }, () => responsesId("msg"));
    for (const id of ids) expect(id).toMatch(/^msg_[0-9a-f]{48}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
