import { runAgent } from "@aiproxy/agent-loop";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { toolset, toolThenText } from "../test/fakes.js";
import { extractTraceContext, startRunTrace } from "./tracing.js";

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return {
    exporter,
    provider,
    tracer: provider.getTracer("test"),
    propagator: new W3CTraceContextPropagator(),
  };
}

const CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

async function tracedRun(captureContent: boolean) {
  const { exporter, provider, tracer, propagator } = setup();
  const parent = extractTraceContext(
    new Headers({ traceparent: `00-${CLIENT_TRACE}-b7ad6b7169203331-01` }),
    propagator,
  );
  const traced = startRunTrace({
    tracer,
    propagator,
    parent,
    assistant: "helper",
    surface: "chat",
    provider: "openai",
    model: "gpt-x",
    captureContent,
  });
  const backend = toolThenText("calc__add");
  const run = runAgent({
    backend,
    model: "gpt-x",
    messages: [{ role: "user", content: "secret prompt text" }],
    toolset: toolset("calc", "add"),
    hooks: traced.hooks,
  });
  await run.result;
  await provider.forceFlush();
  return { spans: exporter.getFinishedSpans(), backend };
}

describe("startRunTrace", () => {
  it("builds the tree request → steps → LLM and tool calls, in the client's trace", async () => {
    const { spans, backend } = await tracedRun(false);
    const byName = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return found[0] as ReadableSpan;
    };
    expect(spans.map((s) => s.name).sort()).toEqual([
      "chat gpt-x",
      "chat gpt-x",
      "execute_tool calc__add",
      "invoke_agent helper",
      "step 1",
      "step 2",
    ]);
    const root = byName("invoke_agent helper");
    expect(root.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(parentOf(root)).toBe("b7ad6b7169203331");
    const step1 = byName("step 1");
    const step2 = byName("step 2");
    expect(parentOf(step1)).toBe(root.spanContext().spanId);
    expect(parentOf(step2)).toBe(root.spanContext().spanId);
    const chats = spans.filter((s) => s.name === "chat gpt-x");
    expect(chats.map(parentOf)).toEqual([step1.spanContext().spanId, step2.spanContext().spanId]);
    const tool = byName("execute_tool calc__add");
    expect(parentOf(tool)).toBe(step1.spanContext().spanId);

    expect(chats[0]?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-x",
      "gen_ai.response.id": "resp_1",
      "gen_ai.response.finish_reasons": ["tool_calls"],
      "gen_ai.usage.input_tokens": 10,
      "gen_ai.usage.output_tokens": 2,
      "gen_ai.usage.cache_read.input_tokens": 4,
    });
    expect(tool.attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "calc__add",
      "gen_ai.tool.call.id": "call_1",
      "aiproxy.mcp.server": "calc",
      "aiproxy.tool.outcome": "ok",
    });
    expect(root.attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "helper",
      "gen_ai.usage.input_tokens": 30,
    });
    // Each upstream call carried its own chat span as the parent.
    expect(backend.headers.map((h) => h?.traceparent)).toEqual(
      chats.map((c) => `00-${CLIENT_TRACE}-${c.spanContext().spanId}-01`),
    );
    const all = JSON.stringify(spans.map((s) => s.attributes));
    expect(all).not.toContain("secret prompt text");
  });

  it("records prompts, completions and tool results only when asked", async () => {
    const { spans } = await tracedRun(true);
    const chat = spans.find((s) => s.name === "chat gpt-x");
    expect(String(chat?.attributes["gen_ai.input.messages"])).toContain("secret prompt text");
    const tool = spans.find((s) => s.name.startsWith("execute_tool"));
    expect(tool?.attributes["gen_ai.tool.call.result"]).toBe("42");
  });
});
