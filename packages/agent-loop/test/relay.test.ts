import {
  type BackendEvent,
  type ChatMessage,
  type LlmBackend,
  type LlmRequest,
  type RelayCallOptions,
  UpstreamError,
  type WireEvent,
} from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import {
  type AgentResult,
  canRelay,
  type RunAgentOptions,
  type RunHooks,
  relayAgent,
  runAgent,
} from "../src/index.js";
import { toOpenAIRelayResponse } from "../src/openai/index.js";
import {
  calls,
  FakeBackend,
  FakeToolset,
  failing,
  gated,
  type ScriptStep,
  text,
  usage,
} from "./fakes.js";

const user = (content: string): ChatMessage => ({ role: "user", content });

/**
 * A FakeBackend that also relays: each scripted event becomes one wire
 * item whose chunk is an OpenAI-shaped chunk carrying it, as the OpenAI
 * adapter's relay would give.
 */
class RelayingBackend extends FakeBackend {
  readonly wire = "openai-chat" as const;
  relayCalls = 0;

  relay(request: LlmRequest, options: RelayCallOptions): AsyncIterable<WireEvent> {
    this.relayCalls++;
    const events = this.stream(request, options);
    return (async function* () {
      for await (const event of events) yield itemOf(event);
    })();
  }
}

function itemOf(event: BackendEvent): WireEvent {
  const base = { id: "chatcmpl-up", object: "chat.completion.chunk", model: "provider-model" };
  switch (event.type) {
    case "text-delta": {
      const chunk = { ...base, choices: [{ index: 0, delta: { content: event.delta } }] };
      return { data: JSON.stringify(chunk), chunk, events: [event] };
    }
    case "finish": {
      const chunk = {
        ...base,
        choices: [],
        usage: { prompt_tokens: event.usage.promptTokens, completion_tokens: 1 },
      };
      return { data: JSON.stringify(chunk), chunk, events: [event] };
    }
    default:
      return { events: [event] };
  }
}

function recorder(): { hooks: RunHooks; log: string[] } {
  const log: string[] = [];
  return {
    log,
    hooks: {
      onStepStart: ({ step }) => log.push(`step-start:${step}`),
      onStepEnd: ({ step, finishReason, usage }) =>
        log.push(`step-end:${step}:${finishReason}:${usage.totalTokens}`),
      onLlmCallStart: ({ step, provider, streaming, request }) => {
        log.push(`llm-start:${step}:${provider}:${streaming}:${request.model}`);
        return undefined;
      },
      onLlmFirstToken: ({ step }) => log.push(`llm-first-token:${step}`),
      onLlmCallEnd: ({ step, usage, finishReason, error }) =>
        log.push(
          error ? `llm-end:${step}:error` : `llm-end:${step}:${finishReason}:${usage?.totalTokens}`,
        ),
      onToolCallStart: () => {
        log.push("tool-start");
        return undefined;
      },
      onRunEnd: ({ result, error }) =>
        log.push(result ? `run-end:${result.finishReason}` : `run-end:error:${error?.code}`),
    },
  };
}

const options = (backend: LlmBackend, extra: Partial<RunAgentOptions> = {}): RunAgentOptions => ({
  backend,
  model: "provider-model",
  messages: [user("hi")],
  systemPrompt: "Be brief.",
  defaultParams: { temperature: 0.2, tool_choice: "auto" },
  params: { max_tokens: 50 },
  extraBody: { seed_extra: 1 },
  ...extra,
});

async function drain(iterable: AsyncIterable<WireEvent>): Promise<WireEvent[]> {
  const out: WireEvent[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A result without its timings, for comparing two runs. */
const timeless = (result: AgentResult) => ({
  ...result,
  steps: result.steps.map(({ durationMs: _d, ...step }) => step),
});

describe("relayAgent", () => {
  for (const streaming of [true, false]) {
    it(`sends the request, calls the hooks and gives the result runAgent would (${streaming ? "streamed" : "whole"})`, async () => {
      const script = (): ScriptStep[] => [text("Hello there", usage(12, 4))];
      const viaRun = new RelayingBackend(script());
      const ran = recorder();
      const runResult = await runAgent({ ...options(viaRun), streaming, hooks: ran.hooks }).result;

      const viaRelay = new RelayingBackend(script());
      const relayed = recorder();
      const run = relayAgent({ ...options(viaRelay), streaming, hooks: relayed.hooks });
      const items = await drain(run);
      const relayResult = await run.result;

      expect(viaRelay.relayCalls).toBe(1);
      expect(viaRelay.requests).toEqual(viaRun.requests);
      expect(viaRelay.requests[0]).toMatchObject({
        messages: [{ role: "system", content: "Be brief." }, user("hi")],
        params: { temperature: 0.2, max_tokens: 50 },
        extraBody: { seed_extra: 1 },
      });
      // Without tools, tool_choice would be refused by the provider.
      expect(viaRelay.requests[0]?.params).not.toHaveProperty("tool_choice");
      expect(relayed.log).toEqual(ran.log);
      expect(relayed.log).toContain("llm-first-token:1");
      expect(timeless(relayResult)).toEqual(timeless(runResult));
      expect(items.filter((item) => item.chunk).length).toBe(3);
    });
  }

  it("drops a tool call the model made without being offered tools, as runAgent does", async () => {
    const script = () => [calls([{ name: "weather__get" }], { content: "Let me check." })];
    const runResult = await runAgent(options(new RelayingBackend(script()))).result;
    const run = relayAgent(options(new RelayingBackend(script())));
    await drain(run);
    const relayResult = await run.result;
    expect(relayResult.finishReason).toBe("stop");
    expect(relayResult.message).not.toHaveProperty("tool_calls");
    expect(timeless(relayResult)).toEqual(timeless(runResult));
  });

  it("fails the iteration and the result with the backend's error, and the hooks see it", async () => {
    const backend = new RelayingBackend([
      failing(new UpstreamError({ upstreamStatus: 503, message: "overloaded" }), [
        { type: "text-delta", delta: "par" },
      ]),
    ]);
    const { hooks, log } = recorder();
    const run = relayAgent({ ...options(backend), hooks });
    await expect(drain(run)).rejects.toMatchObject({ code: "upstream_error" });
    await expect(run.result).rejects.toMatchObject({ code: "upstream_error" });
    expect(log.at(-2)).toBe("llm-end:1:error");
    expect(log.at(-1)).toBe("run-end:error:upstream_error");
  });

  it("aborts the backend call when the iteration is returned mid-stream, even while a next() waits", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const backend = new RelayingBackend([
      gated([{ type: "text-delta", delta: "a" }], gate, text("b")),
    ]);
    const run = relayAgent(options(backend));
    const items = run[Symbol.asyncIterator]();
    expect((await items.next()).value?.events[0]).toEqual({ type: "text-delta", delta: "a" });
    const pending = items.next();
    await items.return?.();
    expect(backend.signals[0]?.aborted).toBe(true);
    await expect(pending).rejects.toMatchObject({ code: "aborted" });
    await expect(run.result).rejects.toMatchObject({ code: "aborted" });
    release();
  });

  it("ends with the parent signal's abort", async () => {
    const controller = new AbortController();
    const backend = new RelayingBackend([gated([], new Promise(() => {}), [])]);
    const run = relayAgent({ ...options(backend), signal: controller.signal });
    const pending = run[Symbol.asyncIterator]().next();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: "aborted" });
    await expect(run.result).rejects.toMatchObject({ code: "aborted" });
  });
});

describe("canRelay", () => {
  const backend = new RelayingBackend([]);
  it("is true only when nothing stands between the model and the client", () => {
    expect(canRelay(options(backend), "openai-chat")).toBe(true);
    expect(canRelay(options(new FakeBackend([])), "openai-chat")).toBe(false);
    expect(canRelay(options(backend, { toolset: new FakeToolset({}) }), "openai-chat")).toBe(false);
    const tool = { type: "function" as const, function: { name: "f" } };
    expect(canRelay(options(backend, { clientTools: [tool] }), "openai-chat")).toBe(false);
    expect(canRelay(options(backend, { clientTools: [] }), "openai-chat")).toBe(true);
    expect(canRelay(options(backend, { toolStrategy: { kind: "deferred" } }), "openai-chat")).toBe(
      false,
    );
    expect(canRelay(options(backend, { approvals: [] }), "openai-chat")).toBe(false);
  });
});

async function sseData(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: "))
    .map((frame) => frame.slice("data: ".length));
}

describe("toOpenAIRelayResponse", () => {
  const relay = (script: ScriptStep[], streaming = true) =>
    relayAgent({ ...options(new RelayingBackend(script)), streaming });

  it("forwards each chunk's own text with only the model replaced, and [DONE] at the end", async () => {
    const response = await toOpenAIRelayResponse(relay([text("Hello there")]), {
      model: "helper",
      stream: true,
      headers: { "x-request-id": "r1" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("x-request-id")).toBe("r1");
    const data = await sseData(response);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    // The usage-only chunk is the gateway's own request, not the client's.
    expect(chunks).toEqual([
      {
        id: "chatcmpl-up",
        object: "chat.completion.chunk",
        model: "helper",
        choices: [{ index: 0, delta: { content: "Hello " } }],
      },
      {
        id: "chatcmpl-up",
        object: "chat.completion.chunk",
        model: "helper",
        choices: [{ index: 0, delta: { content: "there" } }],
      },
    ]);
    expect(data[0]).toBe(
      '{"id":"chatcmpl-up","object":"chat.completion.chunk","model":"helper","choices":[{"index":0,"delta":{"content":"Hello "}}]}',
    );
  });

  it("puts the name where a plain item's model stands, without reading its chunk", async () => {
    // The content holds the upstream's model field as text; only the real one changes.
    const texts = [
      '{"id":"c","object":"chat.completion.chunk","model":"provider-model","choices":[{"index":0,"delta":{"content":"say \\"model\\":\\"provider-model\\""}}]}',
      '{"id":"c","object":"chat.completion.chunk","model":"provider-model","choices":[{"index":0,"delta":{"content":"caf\\u00e9"},"finish_reason":"stop"}]}',
    ];
    const backend = new RelayingBackend([]);
    backend.relay = () =>
      (async function* () {
        for (const data of texts) {
          const modelStart = data.indexOf('"provider-model"');
          yield {
            data,
            plain: { modelStart, modelEnd: modelStart + '"provider-model"'.length },
            get chunk(): Record<string, unknown> {
              throw new Error("a plain item's chunk was read");
            },
            events: [{ type: "text-delta" as const, delta: "x" }],
          };
        }
        yield { events: text("xx").slice(-1) };
      })();
    const response = await toOpenAIRelayResponse(relayAgent(options(backend)), {
      model: 'help"er',
      stream: true,
    });
    const data = await sseData(response);
    expect(data).toEqual([
      ...texts.map((d) => d.replace('"provider-model"', JSON.stringify('help"er'))),
      "[DONE]",
    ]);
    expect(JSON.parse(data[0] as string).choices[0].delta.content).toBe(
      'say "model":"provider-model"',
    );
  });

  it("keeps the usage chunk when the client asked for it", async () => {
    const response = await toOpenAIRelayResponse(relay([text("Hi", usage(7, 1))]), {
      model: "helper",
      stream: true,
      includeUsage: true,
    });
    const data = await sseData(response);
    expect(JSON.parse(data.at(-2) as string)).toMatchObject({
      model: "helper",
      choices: [],
      usage: { prompt_tokens: 7 },
    });
  });

  it("answers a failure before the first chunk with its HTTP status, and a later one as the last event", async () => {
    const early = await toOpenAIRelayResponse(
      relay([failing(new UpstreamError({ upstreamStatus: 429, message: "slow down" }))]),
      { model: "helper", stream: true },
    );
    expect(early.status).toBe(429);
    expect(await early.json()).toMatchObject({ error: { code: "upstream_error" } });

    const late = await toOpenAIRelayResponse(
      relay([
        failing(new UpstreamError({ upstreamStatus: 500, message: "boom" }), [
          { type: "text-delta", delta: "par" },
        ]),
      ]),
      { model: "helper", stream: true },
    );
    expect(late.status).toBe(200);
    const data = await sseData(late);
    expect(data).toHaveLength(2);
    expect(JSON.parse(data[1] as string)).toMatchObject({ error: { code: "upstream_error" } });
  });

  it("gives a whole answer as the upstream's body with the assistant's name", async () => {
    const backend = new RelayingBackend([]);
    backend.relay = () =>
      (async function* () {
        const body = {
          id: "chatcmpl-whole",
          object: "chat.completion",
          model: "provider-model",
          system_fingerprint: "fp_1",
          choices: [
            { index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop" },
          ],
        };
        yield { chunk: body, events: text("Hi") };
      })();
    const run = relayAgent({ ...options(backend), streaming: false });
    const response = await toOpenAIRelayResponse(run, { model: "helper", stream: false });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: "chatcmpl-whole",
      object: "chat.completion",
      model: "helper",
      system_fingerprint: "fp_1",
      choices: [{ index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop" }],
    });
    expect((await run.result).message.content).toBe("Hi");
  });

  it("aborts the run when the client cancels the body", async () => {
    const backend = new RelayingBackend([
      gated([{ type: "text-delta", delta: "a" }], new Promise(() => {}), []),
    ]);
    const run = relayAgent(options(backend));
    const response = await toOpenAIRelayResponse(run, { model: "helper", stream: true });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    await expect(run.result).rejects.toMatchObject({ code: "aborted" });
    expect(backend.signals[0]?.aborted).toBe(true);
  });
});
