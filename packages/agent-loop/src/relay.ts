import {
  AbortedError,
  type AiProxyError,
  type AssistantMessage,
  deadline,
  emptyUsage,
  type FinishReason,
  InternalError,
  type LlmBackend,
  type Logger,
  silentLogger,
  UpstreamError,
  type Usage,
  type WireEvent,
  type WireFormat,
} from "@aiproxy/core";
import { toRunError } from "./abort.js";
import { abortable } from "./abortable.js";
import { RunObserver } from "./observe.js";
import { mergeParams, modelRequest, stepParams, withSystemPrompt } from "./params.js";
import type { AgentResult, RunAgentOptions } from "./types.js";

/** What a relayed run takes: a run without tools of its own or the client's. */
export type RelayAgentOptions = Pick<
  RunAgentOptions,
  | "backend"
  | "model"
  | "messages"
  | "systemPrompt"
  | "params"
  | "defaultParams"
  | "extraBody"
  | "streaming"
  | "signal"
  | "logger"
  | "hooks"
>;

/**
 * A run of one model call whose provider events are handed on as they
 * arrived (see `relayAgent`). Iterate it once: it is pulled, so it reads the
 * upstream no faster than the client takes the answer. Returning the
 * iterator aborts the call.
 */
export interface RelayRun extends AsyncIterable<WireEvent> {
  /** The wire format of the items. */
  readonly wire: WireFormat;
  /** Settles when the iteration ends; rejects with the run's AiProxyError. */
  readonly result: Promise<AgentResult>;
}

/**
 * Whether `relayAgent` can serve a run for a surface that speaks `wire`:
 * the backend relays that format, and the run has nothing to do between the
 * model and the client (no tools to run or offer, no tool strategy, no
 * approvals), so forwarding the provider's events is the whole run.
 */
export function canRelay(options: RunAgentOptions, wire: WireFormat): boolean {
  return (
    options.backend.wire === wire &&
    options.backend.relay !== undefined &&
    options.toolset === undefined &&
    !options.clientTools?.length &&
    (options.toolStrategy === undefined || options.toolStrategy.kind === "direct") &&
    options.approvals === undefined
  );
}

/**
 * The run `runAgent` would make when there are no tools, one model call,
 * with the provider's own events instead of canonical ones: a surface in the
 * same wire format forwards them without parsing and re-rendering each. The
 * request sent, the hooks called and the result are the same as
 * `runAgent`'s for that run.
 */
export function relayAgent(options: RelayAgentOptions): RelayRun {
  const { backend } = options;
  const wire = backend.wire;
  if (!backend.relay || wire === undefined)
    throw new TypeError(`backend "${backend.provider}" does not relay its wire format`);
  // The run's own signal: it follows the caller's, and the run aborts it itself on return.
  const controller = deadline(undefined, options.signal, "The run");
  const logger = options.logger ?? silentLogger;
  const observer = options.hooks && new RunObserver(options.hooks, logger);
  const observed = observer ? observer.wrapOptions(options as RunAgentOptions).backend : backend;
  const streaming = options.streaming ?? true;
  const transcript = withSystemPrompt(options.messages, options.systemPrompt);
  const request = modelRequest(
    options,
    [...transcript],
    stepParams(mergeParams(options.defaultParams, options.params), {
      withTools: false,
      afterToolRound: false,
    }),
  );

  let settle!: { resolve: (result: AgentResult) => void; reject: (error: unknown) => void };
  const result = new Promise<AgentResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A caller that only iterates learns of a failure from the iteration.
  result.catch(() => {});
  const started = performance.now();
  let finish: Extract<WireEvent["events"][number], { type: "finish" }> | undefined;
  let outcome: { error: AiProxyError } | { result: AgentResult } | undefined;
  let closeEvents: (() => void) | undefined;
  /** Settles the run once: with the error, or with the answer when the stream finished. */
  const end = (error?: unknown): { error: AiProxyError } | { result: AgentResult } => {
    if (outcome) return outcome;
    controller.clear();
    closeEvents?.();
    if (error === undefined && !finish)
      error = new UpstreamError({
        upstreamStatus: 0,
        message: "The upstream stream ended before the response was finished",
      });
    if (error !== undefined || !finish) {
      const runError = toRunError(error, controller.signal);
      if (InternalError.isInstance(runError))
        logger.error({ error: String(runError.cause ?? error) }, "relayed run failed");
      outcome = { error: runError };
      observer?.end(outcome);
      settle.reject(runError);
      return outcome;
    }
    const answer = answerOf(finish.message, finish.finishReason, logger);
    const usage: Usage = finish.usage ?? emptyUsage();
    observer?.event({ type: "step-finish", step: 1, finishReason: answer.finishReason, usage });
    outcome = {
      result: {
        message: answer.message,
        finishReason: answer.finishReason,
        usage,
        steps: [
          {
            step: 1,
            finishReason: answer.finishReason,
            usage,
            toolCalls: [],
            durationMs: performance.now() - started,
          },
        ],
        messages: [...transcript, answer.message],
      },
    };
    observer?.end(outcome);
    settle.resolve(outcome.result);
    return outcome;
  };
  const failed = (error: unknown): never => {
    const ended = end(error);
    throw "error" in ended ? ended.error : toRunError(error, controller.signal);
  };

  let iterated = false;
  return {
    wire,
    result,
    [Symbol.asyncIterator]() {
      if (iterated) throw new TypeError("a relayed run can be iterated once");
      iterated = true;
      observer?.event({ type: "step-start", step: 1 });
      let inner: AsyncIterator<WireEvent>;
      try {
        inner = (observed.relay as NonNullable<LlmBackend["relay"]>)(request, {
          signal: controller.signal,
          stream: streaming,
        })[Symbol.asyncIterator]();
      } catch (error) {
        end(error);
        return failedIterator(result);
      }
      // A backend that ignores its signal still cannot hold a `next()` open after an abort.
      const events = abortable(inner, controller.signal);
      closeEvents = events.close;
      const seen = (next: IteratorResult<WireEvent>): IteratorResult<WireEvent> => {
        if (next.done) {
          const ended = end();
          if ("error" in ended) throw ended.error;
          return next;
        }
        for (const event of next.value.events) if (event.type === "finish") finish = event;
        return next;
      };
      return {
        next: () => {
          if (outcome) return Promise.resolve({ done: true, value: undefined });
          return events.next().then(seen, failed);
        },
        return: async () => {
          // Not queued behind a pending `next()`: the abort ends that one too.
          if (!outcome)
            controller.abort(new AbortedError({ message: "The relayed run was abandoned" }));
          end(controller.signal.reason);
          void Promise.resolve()
            .then(() => inner.return?.())
            .catch(() => {});
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/**
 * The answer as `runAgent` would give it on a step without tools: a call the
 * model made anyway is dropped, since nothing could run it.
 */
function answerOf(
  message: AssistantMessage,
  finishReason: FinishReason,
  logger: Logger,
): { message: AssistantMessage; finishReason: FinishReason } {
  const out: AssistantMessage = { ...message, role: "assistant", content: message.content ?? null };
  if (out.tool_calls?.length)
    logger.warn(
      { step: 1, calls: out.tool_calls.length },
      "model called tools on a step without tools",
    );
  delete out.tool_calls;
  return { message: out, finishReason: finishReason === "tool_calls" ? "stop" : finishReason };
}

function failedIterator(result: Promise<AgentResult>): AsyncIterator<WireEvent> {
  return {
    next: () => result.then(() => ({ done: true, value: undefined })),
    return: async () => ({ done: true, value: undefined }),
  };
}
