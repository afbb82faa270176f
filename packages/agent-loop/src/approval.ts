import type { ChatMessage, ToolCall, ToolMessage } from "@aiproxy/core";
import type { LoopContext } from "./loop-context.js";
import { emitToolCall, type RoutedCall, routeCall, runToolRound } from "./tools.js";
import type { ApprovalCall, ApprovalDecision, ApprovalVerdict, ToolCallSummary } from "./types.js";

export interface ApprovalSplit {
  run: RoutedCall[];
  held: RoutedCall[];
  refused: RoutedCall[];
}

/** Sorts a step's calls by `approve`; only MCP calls are judged (an unknown tool runs into its own error). */
export function splitForApproval(
  routed: RoutedCall[],
  approve: ((call: ApprovalCall) => ApprovalVerdict) | undefined,
): ApprovalSplit {
  const split: ApprovalSplit = { run: [], held: [], refused: [] };
  for (const r of routed) {
    const verdict = approve && r.kind === "mcp" ? approve(approvalCall(r)) : "run";
    split[verdict === "hold" ? "held" : verdict === "refuse" ? "refused" : "run"].push(r);
  }
  return split;
}

export function approvalCall(routed: RoutedCall): ApprovalCall {
  const { call } = routed;
  const info = routed.kind === "mcp" ? routed.info : undefined;
  return {
    callId: call.id,
    name: call.function.name,
    ...(info?.server !== undefined && { server: info.server }),
    ...(info?.tool !== undefined && { tool: info.tool }),
    arguments: call.function.arguments,
  };
}

/** The tool result a call gets when it may not run: the model sees why and can go on without it. */
export function refusal(call: ToolCall, reason: string | undefined, held: boolean): ToolMessage {
  const why = held
    ? `the user did not approve this call${reason ? `: ${reason}` : "."}`
    : "it needs the user's approval, which this API cannot ask for.";
  return {
    role: "tool",
    tool_call_id: call.id,
    content: `Error: the tool "${call.function.name}" was not run: ${why}`,
    isError: true,
  };
}

/** Emits a refused call as a call and its failed result, so every surface shows what happened. */
export function emitRefusal(
  routed: RoutedCall,
  message: ToolMessage,
  step: number,
  emit: LoopContext["emit"],
): ToolCallSummary {
  emitToolCall(routed, step, emit);
  const origin = approvalCall(routed);
  emit({
    type: "tool-result",
    step,
    callId: origin.callId,
    name: origin.name,
    ...(origin.server !== undefined && { server: origin.server }),
    ...(origin.tool !== undefined && { tool: origin.tool }),
    result: { content: String(message.content), isError: true },
    durationMs: 0,
    isError: true,
  });
  return {
    callId: origin.callId,
    name: origin.name,
    ...(origin.server !== undefined && { server: origin.server }),
    ...(origin.tool !== undefined && { tool: origin.tool }),
    client: false,
    isError: true,
    durationMs: 0,
  };
}

/**
 * Answers the calls an earlier run held: the tool calls of an assistant
 * message in `transcript` that no tool message answers. Approved calls run,
 * the rest (refused, or not answered at all: the client moved on) get a
 * refusal. Their tool messages are spliced in right after that assistant
 * message's other results, where the provider expects them. Returns whether
 * there was anything to answer.
 */
export async function answerHeldCalls(
  ctx: LoopContext,
  decisions: ApprovalDecision[],
  step: number,
): Promise<{ answered: boolean; summaries: ToolCallSummary[] }> {
  const { transcript } = ctx;
  const answeredIds = new Set(
    transcript.flatMap((m) => (m.role === "tool" ? [m.tool_call_id] : [])),
  );
  const at = transcript.findLastIndex(
    (m) => m.role === "assistant" && (m.tool_calls ?? []).some((c) => !answeredIds.has(c.id)),
  );
  if (at < 0) return { answered: false, summaries: [] };
  const assistant = transcript[at] as Extract<ChatMessage, { role: "assistant" }>;
  const pending = (assistant.tool_calls ?? []).filter((c) => !answeredIds.has(c.id));
  const byId = new Map(decisions.map((d) => [d.callId, d]));
  const routed = pending.map((call) => routeCall(call, ctx.catalog));
  const approved = routed.filter((r) => byId.get(r.call.id)?.approve === true);
  for (const r of approved) emitToolCall(r, step, ctx.emit);
  const round = await runToolRound(approved, {
    step,
    toolset: ctx.options.toolset,
    catalog: ctx.catalog,
    signal: ctx.signal,
    emit: ctx.emit,
    logger: ctx.logger,
  });
  const results = new Map(round.messages.map((m) => [m.tool_call_id, m]));
  const summaries = [...round.summaries];
  const messages = routed.map((r) => {
    const ran = results.get(r.call.id);
    if (ran) return ran;
    const message = refusal(r.call, byId.get(r.call.id)?.reason, true);
    summaries.push(emitRefusal(r, message, step, ctx.emit));
    return message;
  });
  let insert = at + 1;
  while (transcript[insert]?.role === "tool") insert++;
  transcript.splice(insert, 0, ...messages);
  return { answered: true, summaries };
}
