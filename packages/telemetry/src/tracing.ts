import type { LlmCallEndInfo, RunEndInfo, RunHooks } from "@aiproxy/agent-loop";
import { type LlmRequest, type RetryInfo, UpstreamError } from "@aiproxy/core";
import {
  type Attributes,
  type Context,
  context as contexts,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { errorType } from "./labels.js";

export interface RunTraceOptions {
  tracer: Tracer;
  /** Injects the trace context into upstream calls. Default: the global propagator (a no-op until an SDK sets one). */
  propagator?: TextMapPropagator;
  /** The client's trace context (see `extractTraceContext`); the run's span is its child. */
  parent?: Context;
  assistant: string;
  surface: string;
  provider: string;
  /** The assistant's configured model id. */
  model: string;
  requestId?: string;
  /** Record prompts, completions, tool arguments and results (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`). */
  captureContent?: boolean;
}

export interface RunTrace {
  hooks: RunHooks;
  /** The `invoke_agent` span, for attributes the caller knows (it ends with the run). */
  span: Span;
}

/** The W3C trace context a client sent (`traceparent`, `tracestate`), or the root context. */
export function extractTraceContext(
  headers: Headers,
  propagator: TextMapPropagator = propagation,
): Context {
  const carrier: Record<string, string> = {};
  for (const name of propagator.fields()) {
    const value = headers.get(name);
    if (value !== null) carrier[name] = value;
  }
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

/**
 * Spans of one run, after the OpenTelemetry GenAI conventions:
 * `invoke_agent <assistant>` for the run, `step <n>` for each step, and in
 * it `chat <model>` for the LLM call and `execute_tool <tool>` for each
 * tool call. The LLM call's trace context is handed to the backend, so the
 * upstream's spans join the trace. With no SDK registered every span is a
 * no-op and costs next to nothing.
 */
export function startRunTrace(options: RunTraceOptions): RunTrace {
  const { tracer, captureContent = false } = options;
  const propagator = options.propagator ?? propagation;
  const run = tracer.startSpan(
    `invoke_agent ${options.assistant}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": options.assistant,
        "gen_ai.provider.name": options.provider,
        "gen_ai.request.model": options.model,
        "aiproxy.surface": options.surface,
        ...(options.requestId !== undefined && { "aiproxy.request_id": options.requestId }),
      },
    },
    options.parent ?? contexts.active(),
  );
  const runContext = trace.setSpan(options.parent ?? ROOT_CONTEXT, run);
  const steps = new Map<number, { span: Span; context: Context }>();
  const calls = new Map<LlmRequest, Span>();
  const tools = new Map<string, Span>();
  let openStep: number | undefined;

  const parentOf = (step: number) => steps.get(step)?.context ?? runContext;
  const endStep = () => {
    if (openStep === undefined) return;
    steps.get(openStep)?.span.end();
    openStep = undefined;
  };

  const hooks: RunHooks = {
    onStepStart: ({ step }) => {
      endStep();
      const span = tracer.startSpan(
        `step ${step}`,
        { attributes: { "aiproxy.step": step } },
        runContext,
      );
      steps.set(step, { span, context: trace.setSpan(runContext, span) });
      openStep = step;
    },
    onStepEnd: ({ step, finishReason }) => {
      // The step's tool calls run after this, so the span ends with the next step.
      steps.get(step)?.span.setAttribute("gen_ai.response.finish_reasons", [finishReason]);
    },
    onLlmCallStart: (info) => {
      const { request } = info;
      const attributes: Attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": info.provider,
        "gen_ai.request.model": request.model,
        "aiproxy.step": info.step,
        "aiproxy.streaming": info.streaming,
      };
      const params = request.params;
      if (typeof params?.temperature === "number")
        attributes["gen_ai.request.temperature"] = params.temperature;
      if (typeof params?.max_tokens === "number")
        attributes["gen_ai.request.max_tokens"] = params.max_tokens;
      if (captureContent) {
        attributes["gen_ai.input.messages"] = JSON.stringify(request.messages);
        if (request.tools) attributes["gen_ai.tool.definitions"] = JSON.stringify(request.tools);
      }
      const parent = parentOf(info.step);
      const span = tracer.startSpan(
        `chat ${request.model}`,
        { kind: SpanKind.CLIENT, attributes },
        parent,
      );
      calls.set(request, span);
      const headers: Record<string, string> = {};
      propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter);
      return {
        ...(Object.keys(headers).length > 0 && { headers }),
        onRetry: (retry: RetryInfo) =>
          span.addEvent("retry", {
            "aiproxy.retry.attempt": retry.attempt,
            "aiproxy.retry.delay_ms": retry.delayMs,
            "error.type": retry.error.code,
            ...(UpstreamError.isInstance(retry.error) && {
              "http.response.status_code": retry.error.upstreamStatus,
            }),
          }),
      };
    },
    onLlmFirstToken: ({ request }) => {
      calls.get(request)?.addEvent("gen_ai.first_token");
    },
    onLlmCallEnd: (info) => {
      const span = calls.get(info.request);
      if (!span) return;
      calls.delete(info.request);
      endCall(span, info, captureContent);
    },
    onToolCallStart: (info) => {
      const attributes: Attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": info.name,
        "gen_ai.tool.call.id": info.callId,
        "gen_ai.tool.type": "function",
        "aiproxy.step": info.step,
      };
      if (info.server !== undefined) attributes["aiproxy.mcp.server"] = info.server;
      if (info.tool !== undefined) attributes["aiproxy.mcp.tool"] = info.tool;
      if (captureContent) attributes["gen_ai.tool.call.arguments"] = info.arguments;
      const parent = parentOf(info.step);
      const span = tracer.startSpan(
        `execute_tool ${info.name}`,
        { kind: SpanKind.INTERNAL, attributes },
        parent,
      );
      tools.set(info.callId, span);
      const headers: Record<string, string> = {};
      propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter);
      return Object.keys(headers).length > 0 ? { headers } : undefined;
    },
    onToolCallEnd: (info) => {
      const span = tools.get(info.callId);
      if (!span) return;
      tools.delete(info.callId);
      span.setAttribute("aiproxy.tool.outcome", info.isError ? "error" : "ok");
      if (captureContent)
        span.setAttribute(
          "gen_ai.tool.call.result",
          typeof info.result.content === "string"
            ? info.result.content
            : JSON.stringify(info.result.content),
        );
      if (info.isError) {
        span.setAttribute("error.type", "tool_error");
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
    onRunEnd: (info) => {
      endStep();
      // Calls and tools cut off by an abort still end, so no span is left open.
      for (const span of calls.values()) span.end();
      for (const span of tools.values()) span.end();
      endRun(run, info);
    },
  };
  return { hooks, span: run };
}

function endCall(span: Span, info: LlmCallEndInfo, captureContent: boolean): void {
  if (info.responseId !== undefined) span.setAttribute("gen_ai.response.id", info.responseId);
  if (info.finishReason !== undefined)
    span.setAttribute("gen_ai.response.finish_reasons", [info.finishReason]);
  if (info.usage) {
    span.setAttribute("gen_ai.usage.input_tokens", info.usage.promptTokens);
    span.setAttribute("gen_ai.usage.output_tokens", info.usage.completionTokens);
    if (info.usage.cachedTokens !== undefined)
      span.setAttribute("gen_ai.usage.cache_read.input_tokens", info.usage.cachedTokens);
    if (info.usage.reasoningTokens !== undefined)
      span.setAttribute("gen_ai.usage.reasoning.output_tokens", info.usage.reasoningTokens);
  }
  if (captureContent && info.message)
    span.setAttribute("gen_ai.output.messages", JSON.stringify([info.message]));
  if (info.error !== undefined) {
    span.setAttribute("error.type", errorType(info.error));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

function endRun(span: Span, info: RunEndInfo): void {
  const { result, error } = info;
  if (result) {
    span.setAttribute("gen_ai.response.finish_reasons", [result.finishReason]);
    span.setAttribute("gen_ai.usage.input_tokens", result.usage.promptTokens);
    span.setAttribute("gen_ai.usage.output_tokens", result.usage.completionTokens);
    span.setAttribute("aiproxy.steps", result.steps.length);
  }
  if (error) {
    span.setAttribute("error.type", error.code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  span.end();
}
