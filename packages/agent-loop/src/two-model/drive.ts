import { randomUUID } from "node:crypto";
import {
  type AssistantMessage,
  abortError,
  addUsage,
  contentText,
  emptyUsage,
  type LlmRequest,
  type ToolCall,
  type Usage,
} from "@aiproxy/core";
import { emitRefusal, refusal, splitForApproval } from "../approval.js";
import { type LoopContext, since } from "../loop-context.js";
import { modelRequest, stepParams } from "../params.js";
import { callBackend } from "../step.js";
import {
  emitToolCall,
  type RoutedCall,
  routeCall,
  runToolRound,
  type ToolRound,
} from "../tools.js";
import type { AgentResult, StepSummary, ToolDecision, TwoModelStrategy } from "../types.js";
import { reportedConfidence } from "./confidence.js";
import { answerView, deciderView, lastUserText } from "./views.js";

const DEFAULT_CONFIDENCE = 0.5;

/**
 * A two-model turn: each round the deciding model is asked (not streamed)
 * which tools to call; its calls run when its reported confidence reaches
 * the threshold, and it is asked again with the results. Once it declines,
 * falls below the threshold or the rounds run out, the answering model
 * writes the reply (streamed if the run streams) without any tool definition.
 * A call to one of the client's tools ends the run as in the direct loop.
 */
export async function driveTwoModel(
  ctx: LoopContext,
  strategy: TwoModelStrategy,
): Promise<AgentResult> {
  const { options, signal, emit, logger, transcript, catalog } = ctx;
  const threshold = strategy.confidence ?? DEFAULT_CONFIDENCE;
  const decisions: ToolDecision[] = [];
  const steps: StepSummary[] = [];
  let usage: Usage = emptyUsage();
  let step = 0;
  const record = () => ({
    kind: "two-model" as const,
    ...(strategy.name !== undefined && { toolBackend: strategy.name }),
    decisions,
  });

  for (let round = 1; round <= ctx.budget && catalog.definitions.length > 0; round++) {
    if (signal.aborted) throw abortError(signal);
    step++;
    const started = performance.now();
    emit({ type: "step-start", step });
    const request: LlmRequest = {
      model: strategy.model,
      messages: deciderView(transcript, strategy.context ?? "turn"),
      tools: catalog.definitions,
    };
    // The decider's text is not the answer: nothing of it is emitted.
    const outcome = await callBackend(strategy.backend, request, {
      step,
      streaming: false,
      signal,
      emit: () => {},
    });
    usage = addUsage(usage, outcome.usage);
    emit({ type: "step-finish", step, finishReason: outcome.finishReason, usage: outcome.usage });
    const confidence = reportedConfidence(outcome.extensions);
    const proposed = outcome.message.tool_calls ?? [];
    const trusted = confidence === null || confidence >= threshold;
    const summary: StepSummary = {
      step,
      finishReason: outcome.finishReason,
      usage: outcome.usage,
      toolCalls: [],
      durationMs: 0,
      decision: true,
    };
    steps.push(summary);
    logger.debug(
      { step, round, proposed: proposed.length, confidence, threshold },
      "tool decision",
    );

    let calls: ToolCall[] = proposed;
    let fallback = false;
    if (proposed.length === 0 || !trusted) {
      if (round === 1 && strategy.fallback) {
        calls = [fallbackCall(strategy.fallback, lastUserText(transcript))];
        fallback = true;
      } else {
        decisions.push({ round, toolCalls: proposedCalls(proposed), confidence, executed: false });
        summary.durationMs = since(started);
        break;
      }
    }

    const routed = calls.map((call) => routeCall(call, catalog));
    const clientCalls = routed.filter((r) => r.kind === "client");
    if (clientCalls.length > 0) {
      decisions.push({
        round,
        toolCalls: proposedCalls(clientCalls.map((r) => r.call)),
        confidence,
        executed: true,
      });
      summary.durationMs = since(started);
      return handToClient(ctx, clientCalls, { steps, usage, step, record: record() });
    }

    // A two-model turn cannot be held and resumed: a call that needs approval is refused.
    const { run } = splitForApproval(routed, options.approve);
    for (const r of run) emitToolCall(r, step, emit);
    transcript.push({ role: "assistant", content: null, tool_calls: calls });
    const ran = await runToolRound(run, {
      ...ctx,
      step,
      toolset: options.toolset,
      catalog,
    });
    const executed = withRefusals(routed, ran, step, emit);
    transcript.push(...executed.messages);
    summary.toolCalls = executed.summaries;
    summary.durationMs = since(started);

    const decision: ToolDecision = {
      round,
      toolCalls: proposedCalls(calls),
      confidence,
      executed: true,
    };
    if (fallback) decision.fallback = true;
    const texts = executed.messages.map((m, i) => ({
      name: calls[i]?.function.name ?? "",
      content: contentText(m.content),
      isError: m.isError === true,
    }));
    const errors = texts
      .filter((t) => t.isError)
      .map((t) => ({ name: t.name, message: t.content }));
    if (errors.length > 0) decision.errors = errors;
    if (strategy.exposeResults) decision.results = texts;
    decisions.push(decision);
    // The fallback stands in for a decision the decider declined: asking it again would loop.
    if (fallback) break;
  }

  if (signal.aborted) throw abortError(signal);
  step++;
  const started = performance.now();
  emit({ type: "step-start", step });
  const request = modelRequest(
    options,
    answerView(transcript),
    stepParams(ctx.params, { withTools: false, afterToolRound: false }),
  );
  const outcome = await callBackend(options.backend, request, {
    step,
    streaming: ctx.streaming,
    signal,
    emit,
  });
  usage = addUsage(usage, outcome.usage);
  const message: AssistantMessage = { ...outcome.message };
  if (message.tool_calls) {
    logger.warn({ step, calls: message.tool_calls.length }, "answer model called tools");
    delete message.tool_calls;
  }
  const finishReason = outcome.finishReason === "tool_calls" ? "stop" : outcome.finishReason;
  emit({ type: "step-finish", step, finishReason, usage: outcome.usage });
  steps.push({
    step,
    finishReason,
    usage: outcome.usage,
    toolCalls: [],
    durationMs: since(started),
  });
  transcript.push(message);
  return { message, finishReason, usage, steps, messages: transcript, strategy: record() };
}

function handToClient(
  ctx: LoopContext,
  clientCalls: RoutedCall[],
  state: { steps: StepSummary[]; usage: Usage; step: number; record: AgentResult["strategy"] },
): AgentResult {
  const calls = clientCalls.map((r) => r.call);
  for (const call of calls)
    ctx.emit({
      type: "tool-call",
      step: state.step,
      callId: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
      client: true,
    });
  const last = state.steps.at(-1);
  if (last)
    last.toolCalls = calls.map((c) => ({ callId: c.id, name: c.function.name, client: true }));
  const message: AssistantMessage = { role: "assistant", content: null, tool_calls: calls };
  ctx.transcript.push(message);
  return {
    message,
    finishReason: "tool_calls",
    usage: state.usage,
    steps: state.steps,
    messages: ctx.transcript,
    ...(state.record && { strategy: state.record }),
  };
}

function proposedCalls(calls: ToolCall[]): ToolDecision["toolCalls"] {
  return calls.map((c) => ({ name: c.function.name, arguments: c.function.arguments }));
}

function fallbackCall(fallback: NonNullable<TwoModelStrategy["fallback"]>, user: string): ToolCall {
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fallback.arguments ?? {}))
    args[key] = typeof value === "string" ? value.replaceAll("{user}", user) : value;
  return {
    id: `call_${randomUUID().replaceAll("-", "")}`,
    type: "function",
    function: { name: fallback.tool, arguments: JSON.stringify(args) },
  };
}

/** The round's results in call order, with a refusal for each call that did not run. */
function withRefusals(
  routed: RoutedCall[],
  ran: ToolRound,
  step: number,
  emit: LoopContext["emit"],
): ToolRound {
  const byId = new Map(ran.messages.map((m, i) => [m.tool_call_id, i]));
  const out: ToolRound = { messages: [], summaries: [] };
  for (const r of routed) {
    const i = byId.get(r.call.id);
    const summary = i === undefined ? undefined : ran.summaries[i];
    const message = i === undefined ? undefined : ran.messages[i];
    if (message && summary) {
      out.messages.push(message);
      out.summaries.push(summary);
      continue;
    }
    const refused = refusal(r.call, undefined, false);
    out.messages.push(refused);
    out.summaries.push(emitRefusal(r, refused, step, emit));
  }
  return out;
}
