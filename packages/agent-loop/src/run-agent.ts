import {
  type AssistantMessage,
  abortError,
  addUsage,
  type ChatMessage,
  deadline,
  emptyUsage,
  type FinishReason,
  InternalError,
  type Logger,
  silentLogger,
  type Usage,
  untilAborted,
} from "@aiproxy/core";
import { toRunError } from "./abort.js";
import {
  answerHeldCalls,
  approvalCall,
  emitRefusal,
  refusal,
  splitForApproval,
} from "./approval.js";
import { RunChannel } from "./channel.js";
import { DeferredCatalog, searchToolInfo } from "./deferred/catalog.js";
import { type LoopContext, since } from "./loop-context.js";
import { RunObserver } from "./observe.js";
import { mergeParams, modelRequest, stepParams, withSystemPrompt } from "./params.js";
import { callBackend } from "./step.js";
import { buildCatalog, emitToolCall, type RoutedCall, routeCall, runToolRound } from "./tools.js";
import { driveTwoModel } from "./two-model/drive.js";
import type {
  AgentEvent,
  AgentResult,
  AgentRun,
  RunAgentOptions,
  StepSummary,
  ToolCallSummary,
} from "./types.js";

const DEFAULT_MAX_TOOL_ITERATIONS = 10;

/**
 * Starts the tool loop at once and returns its events and result. Aborting
 * `options.signal`, or breaking out of the iteration, stops the backend call
 * and every running tool, and the run ends with an AbortedError.
 */
export function runAgent(options: RunAgentOptions): AgentRun {
  // The run's own signal: it follows the caller's, and the run aborts it itself on return.
  const controller = deadline(undefined, options.signal, "The run");
  const channel = new RunChannel(controller);
  const logger = options.logger ?? silentLogger;
  const observer = options.hooks && new RunObserver(options.hooks, logger);
  const observed = observer ? observer.wrapOptions(options) : options;
  const emit = (event: AgentEvent) => {
    observer?.event(event);
    channel.emit(event);
  };

  Promise.resolve()
    .then(() => drive(observed, controller.signal, emit, logger))
    .then(
      (result) => {
        observer?.end({ result });
        channel.succeed(result);
      },
      (error: unknown) => {
        const runError = toRunError(error, controller.signal);
        if (InternalError.isInstance(runError)) {
          logger.error({ error: describe(runError.cause ?? error) }, "agent run failed");
        } else {
          logger.debug({ code: runError.code, message: runError.message }, "agent run failed");
        }
        observer?.end({ error: runError });
        channel.fail(runError);
      },
    )
    .finally(controller.clear);
  return channel;
}

async function drive(
  options: RunAgentOptions,
  signal: AbortSignal,
  emit: (event: AgentEvent) => void,
  logger: Logger,
): Promise<AgentResult> {
  const strategy = options.toolStrategy ?? { kind: "direct" };
  const budget = toolBudget(
    strategy.kind === "two-model" && strategy.maxRounds !== undefined
      ? strategy.maxRounds
      : options.maxToolIterations,
  );
  const streaming = options.streaming ?? true;
  const params = mergeParams(options.defaultParams, options.params);
  const transcript: ChatMessage[] = withSystemPrompt(options.messages, options.systemPrompt);
  // Listed once: a tool list that changes mid-run would confuse the model.
  const mcpTools =
    budget > 0 && options.toolset
      ? await untilAborted(options.toolset.list({ signal }), signal)
      : [];
  const deferred =
    strategy.kind === "deferred" && mcpTools.length > 0
      ? new DeferredCatalog(options.toolset, mcpTools, strategy)
      : undefined;
  const catalog = buildCatalog(
    deferred ? [...mcpTools, searchToolInfo] : mcpTools,
    budget > 0 ? (options.clientTools ?? []) : [],
    logger,
  );
  const ctx: LoopContext = {
    options,
    signal,
    emit,
    logger,
    params,
    transcript,
    catalog,
    budget,
    streaming,
  };
  if (strategy.kind === "two-model") return driveTwoModel(ctx, strategy);

  let usage: Usage = emptyUsage();
  const steps: StepSummary[] = [];
  let rounds = 0;
  if (options.approvals) {
    // Step 0: the round an earlier run held, now answered, before any model call.
    const held = await answerHeldCalls(ctx, options.approvals, 0);
    if (held.answered) {
      rounds++;
      steps.push({
        step: 0,
        finishReason: "tool_calls",
        usage: emptyUsage(),
        toolCalls: held.summaries,
        durationMs: 0,
      });
    }
  }

  for (let step = 1; ; step++) {
    // A backend that checks its signal late would still be sent a request.
    if (signal.aborted) throw abortError(signal);
    const withTools = rounds < budget && catalog.definitions.length > 0;
    const started = performance.now();
    emit({ type: "step-start", step });
    const request = modelRequest(
      options,
      [...transcript],
      stepParams(params, { withTools, afterToolRound: rounds > 0 }),
    );
    if (withTools)
      request.tools = deferred ? deferred.offered(catalog.definitions) : catalog.definitions;

    const outcome = await callBackend(options.backend, request, { step, streaming, signal, emit });
    usage = addUsage(usage, outcome.usage);
    const calls = outcome.message.tool_calls ?? [];
    const finish = (
      message: AssistantMessage,
      finishReason: FinishReason,
      toolCalls: ToolCallSummary[],
    ): AgentResult => {
      steps.push({
        step,
        finishReason,
        usage: outcome.usage,
        toolCalls,
        durationMs: since(started),
      });
      transcript.push(message);
      const result: AgentResult = { message, finishReason, usage, steps, messages: transcript };
      if (deferred) result.strategy = deferred.record();
      return result;
    };

    if (calls.length === 0 || !withTools) {
      const message = { ...outcome.message };
      if (calls.length > 0) {
        // No tools were offered, so nothing can run them: the text is the answer.
        logger.warn({ step, calls: calls.length }, "model called tools on a step without tools");
        delete message.tool_calls;
      }
      let reason = outcome.finishReason === "tool_calls" ? "stop" : outcome.finishReason;
      // This step went without tools because the budget is spent. A model that
      // still wants tools, or says nothing, has not answered: the client gets
      // what text there is, or a note saying why there is none, and "length",
      // as for any answer a limit cut short.
      const budgetSpent = rounds > 0 && rounds >= budget;
      if (budgetSpent && (calls.length > 0 || !message.content?.trim())) {
        reason = "length";
        logger.info({ step, budget, calls: calls.length }, "tool budget spent before an answer");
        if (!message.content?.trim()) {
          message.content = budgetSpentNote(budget);
          emit({ type: "text-delta", step, delta: message.content });
        }
      }
      emit({ type: "step-finish", step, finishReason: reason, usage: outcome.usage });
      return finish(message, reason, []);
    }

    emit({ type: "step-finish", step, finishReason: "tool_calls", usage: outcome.usage });
    const routed = calls.map((call) => routeCall(call, catalog));
    const clientCalls = routed.filter((r) => r.kind === "client");

    if (clientCalls.length > 0) {
      // Mixed steps: MCP calls are not run. The client can never see their
      // results, so running them would cause effects the conversation does
      // not record; when the client returns its results, the model sees only
      // the calls it made to the client and can call MCP tools again.
      if (clientCalls.length < routed.length) {
        logger.info(
          {
            step,
            dropped: routed.filter((r) => r.kind !== "client").map((r) => r.call.function.name),
          },
          "client tool calls end the run; the step's other calls were not run",
        );
      }
      for (const { call } of clientCalls) {
        emit({
          type: "tool-call",
          step,
          callId: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
          client: true,
        });
      }
      const message: AssistantMessage = {
        ...outcome.message,
        tool_calls: clientCalls.map((r) => r.call),
      };
      const summaries = clientCalls.map(({ call }) => ({
        callId: call.id,
        name: call.function.name,
        client: true,
      }));
      return finish(message, "tool_calls", summaries);
    }

    const { run, held, refused } = splitForApproval(routed, options.approve);
    for (const r of run) emitToolCall(r, step, emit);
    transcript.push(outcome.message);
    if (deferred) deferred.step = step;
    const round = await runToolRound(run, {
      step,
      toolset: deferred ?? options.toolset,
      catalog,
      signal,
      emit,
      logger,
    });
    const refusals = refused.map((r) => refusal(r.call, undefined, false));
    const refusedSummaries = refused.map((r, n) =>
      emitRefusal(r, refusals[n] as (typeof refusals)[number], step, emit),
    );
    transcript.push(...round.messages, ...refusals);
    rounds++;
    steps.push({
      step,
      finishReason: "tool_calls",
      usage: outcome.usage,
      toolCalls: [...round.summaries, ...refusedSummaries],
      durationMs: since(started),
    });
    if (held.length > 0) {
      // Like client calls, held calls end the run: the transcript keeps them
      // unanswered, for `approvals` to answer when the client comes back.
      for (const r of held) emit({ ...heldCallEvent(r, step), held: true });
      const result: AgentResult = {
        message: outcome.message,
        finishReason: "tool_calls",
        usage,
        steps,
        messages: transcript,
        held: held.map(approvalCall),
      };
      if (deferred) result.strategy = deferred.record();
      logger.info({ step, held: held.length }, "tool calls held for approval end the run");
      return result;
    }
    logger.debug({ step, rounds, budget, tools: round.summaries.length }, "tool round finished");
  }
}

function heldCallEvent(
  routed: RoutedCall,
  step: number,
): Extract<AgentEvent, { type: "tool-call" }> {
  const call = approvalCall(routed);
  return { type: "tool-call", step, ...call, client: false };
}

/** What the client reads when the budget ran out before the model wrote any answer. */
function budgetSpentNote(budget: number): string {
  return `The assistant used its whole tool budget (${budget} tool round${budget === 1 ? "" : "s"}) without giving an answer. Ask again, narrow the question, or raise the assistant's tool budget.`;
}

function toolBudget(value: number | undefined): number {
  if (value === undefined || Number.isNaN(value)) return DEFAULT_MAX_TOOL_ITERATIONS;
  return Math.max(0, Math.floor(value));
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
