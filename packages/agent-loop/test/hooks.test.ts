import type { CallOptions, ChatMessage, LlmRequest, Toolset } from "@aiproxy/core";
import { UpstreamError } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { combineHooks, type RunHooks, runAgent } from "../src/index.js";
import { calls, FakeBackend, FakeToolset, failing, text, usage } from "./fakes.js";

const user = (content: string): ChatMessage => ({ role: "user", content });

/** Records every hook call as `name:detail`, in order. */
function recorder(): { hooks: RunHooks; log: string[] } {
  const log: string[] = [];
  return {
    log,
    hooks: {
      onStepStart: ({ step }) => log.push(`step-start:${step}`),
      onStepEnd: ({ step, finishReason }) => log.push(`step-end:${step}:${finishReason}`),
      onLlmCallStart: ({ step, provider }) => {
        log.push(`llm-start:${step}:${provider}`);
        return undefined;
      },
      onLlmFirstToken: ({ step }) => log.push(`llm-first-token:${step}`),
      onLlmCallEnd: ({ step, usage, finishReason, error }) =>
        log.push(
          error ? `llm-end:${step}:error` : `llm-end:${step}:${finishReason}:${usage?.totalTokens}`,
        ),
      onToolCallStart: ({ callId, server, tool }) => {
        log.push(`tool-start:${callId}:${server}/${tool}`);
        return undefined;
      },
      onToolCallEnd: ({ callId, isError, durationMs }) =>
        log.push(`tool-end:${callId}:${isError}:${typeof durationMs}`),
      onRunEnd: ({ result, error }) =>
        log.push(result ? `run-end:${result.finishReason}` : `run-end:error:${error?.code}`),
    },
  };
}

describe("runAgent hooks", () => {
  const toolset = () =>
    new FakeToolset({
      weather__get: { server: "weather", tool: "get", run: () => "sunny" },
    });

  it("reports steps, LLM calls and tool calls of a tool round in order", async () => {
    const { hooks, log } = recorder();
    for (const streaming of [true, false]) {
      log.length = 0;
      const backend = new FakeBackend([
        calls([{ id: "c1", name: "weather__get", args: { city: "Oslo" } }], {
          usage: usage(10, 2),
        }),
        text("Sunny.", usage(20, 3)),
      ]);
      const run = runAgent({
        backend,
        model: "m",
        messages: [user("weather?")],
        toolset: toolset(),
        streaming,
        hooks,
      });
      await run.result;
      expect(log).toEqual([
        "step-start:1",
        "llm-start:1:fake",
        // A streamed call of only tool calls has no first token; a generated one does.
        ...(streaming ? [] : ["llm-first-token:1"]),
        "llm-end:1:tool_calls:12",
        "step-end:1:tool_calls",
        "tool-start:c1:weather/get",
        "tool-end:c1:false:number",
        "step-start:2",
        "llm-start:2:fake",
        "llm-first-token:2",
        "llm-end:2:stop:23",
        "step-end:2:stop",
        "run-end:stop",
      ]);
    }
  });

  it("reports a failed LLM call and the run's error", async () => {
    const { hooks, log } = recorder();
    const backend = new FakeBackend([
      failing(new UpstreamError({ upstreamStatus: 500, message: "boom" })),
    ]);
    const run = runAgent({ backend, model: "m", messages: [user("hi")], hooks });
    await expect(run.result).rejects.toThrow();
    expect(log).toEqual([
      "step-start:1",
      "llm-start:1:fake",
      "llm-end:1:error",
      "run-end:error:upstream_error",
    ]);
  });

  it("sends the headers an observer returns with that LLM call only", async () => {
    const seen: (Record<string, string> | undefined)[] = [];
    const inner = new FakeBackend([calls([{ id: "c1", name: "weather__get" }]), text("done")]);
    const backend = {
      provider: "fake",
      generate: (request: LlmRequest, options?: CallOptions) => inner.generate(request, options),
      stream: (request: LlmRequest, options?: CallOptions) => {
        seen.push(options?.headers);
        return inner.stream(request, options);
      },
    };
    let n = 0;
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("hi")],
      toolset: toolset(),
      hooks: combineHooks(
        { onLlmCallStart: () => ({ headers: { traceparent: `tp-${++n}` } }) },
        { onLlmCallStart: () => ({ headers: { tracestate: "a=b" } }) },
      ),
    });
    await run.result;
    expect(seen).toEqual([
      { traceparent: "tp-1", tracestate: "a=b" },
      { traceparent: "tp-2", tracestate: "a=b" },
    ]);
  });

  it("hands the headers onToolCallStart returns to that tool call only", async () => {
    const seen: [string, Record<string, string> | undefined][] = [];
    const tools: Toolset = {
      list: async () => [{ name: "a__x", inputSchema: { type: "object" }, server: "a", tool: "x" }],
      call: async (_name, args, options) => {
        seen.push([String(args.n), options?.headers]);
        return { content: "ok", isError: false };
      },
    };
    const backend = new FakeBackend([
      calls([
        { id: "c1", name: "a__x", args: { n: 1 } },
        { id: "c2", name: "a__x", args: { n: 2 } },
      ]),
      text("done"),
    ]);
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("hi")],
      toolset: tools,
      hooks: { onToolCallStart: ({ callId }) => ({ headers: { traceparent: `tp-${callId}` } }) },
    });
    await run.result;
    expect(seen).toEqual([
      ["1", { traceparent: "tp-c1" }],
      ["2", { traceparent: "tp-c2" }],
    ]);
  });

  it("goes on when an observer throws", async () => {
    const backend = new FakeBackend([text("fine")]);
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("hi")],
      hooks: {
        onStepStart: () => {
          throw new Error("observer bug");
        },
        onLlmCallStart: () => {
          throw new Error("observer bug");
        },
      },
    });
    expect((await run.result).message.content).toBe("fine");
  });
});
