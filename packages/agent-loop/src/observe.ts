import type {
  AiProxyError,
  BackendEvent,
  CallOptions,
  Completion,
  LlmBackend,
  LlmRequest,
  Logger,
  RetryInfo,
  Toolset,
  WireEvent,
} from "@aiproxy/core";
import type { LlmCallEndInfo, LlmCallStartInfo, RunHooks, ToolCallStartInfo } from "./hooks.js";
import { nextOf } from "./next-of.js";
import type { AgentEvent, AgentResult, RunAgentOptions } from "./types.js";

/**
 * Turns a run's events and backend calls into `RunHooks` calls. It sits
 * around the loop (the emitted events, the backends it is given) rather than
 * inside it, so every tool strategy is observed the same way.
 */
export class RunObserver {
  readonly #hooks: RunHooks;
  readonly #logger: Logger;
  readonly #started = performance.now();
  #step = 0;
  readonly #tools = new Map<
    string,
    { info: ToolCallStartInfo; headers: Record<string, string> | undefined }
  >();

  constructor(hooks: RunHooks, logger: Logger) {
    this.#hooks = hooks;
    this.#logger = logger;
  }

  /** The options with every backend the run may call wrapped. */
  wrapOptions(options: RunAgentOptions): RunAgentOptions {
    const wrapped: RunAgentOptions = { ...options, backend: this.#wrapBackend(options.backend) };
    if (options.toolset) wrapped.toolset = this.#wrapToolset(options.toolset);
    const strategy = options.toolStrategy;
    if (strategy?.kind === "two-model")
      wrapped.toolStrategy = {
        ...strategy,
        backend: this.#wrapBackend(strategy.backend, strategy.name ?? "tool-backend"),
      };
    return wrapped;
  }

  event(event: AgentEvent): void {
    switch (event.type) {
      case "step-start":
        this.#step = event.step;
        this.#call("onStepStart", { step: event.step });
        break;
      case "step-finish":
        this.#call("onStepEnd", {
          step: event.step,
          finishReason: event.finishReason,
          usage: event.usage,
        });
        break;
      case "tool-call": {
        if (event.client) break;
        const info: ToolCallStartInfo = {
          step: event.step,
          callId: event.callId,
          name: event.name,
          ...(event.server !== undefined && { server: event.server }),
          ...(event.tool !== undefined && { tool: event.tool }),
          arguments: event.arguments,
        };
        const decoration = this.#call("onToolCallStart", info);
        this.#tools.set(event.callId, { info, headers: decoration?.headers });
        break;
      }
      case "tool-result": {
        const start = this.#tools.get(event.callId);
        this.#tools.delete(event.callId);
        this.#call("onToolCallEnd", {
          ...(start?.info ?? {
            step: event.step,
            callId: event.callId,
            name: event.name,
            arguments: "",
          }),
          durationMs: event.durationMs,
          isError: event.isError,
          result: event.result,
        });
        break;
      }
      default:
        break;
    }
  }

  end(outcome: { result: AgentResult } | { error: AiProxyError }): void {
    this.#call("onRunEnd", { durationMs: performance.now() - this.#started, ...outcome });
  }

  /** Hands each call the headers its observers returned at `onToolCallStart`. */
  #wrapToolset(toolset: Toolset): Toolset {
    return {
      list: (options) => toolset.list(options),
      call: (name, args, options) => {
        const headers =
          options?.callId !== undefined ? this.#tools.get(options.callId)?.headers : undefined;
        return toolset.call(
          name,
          args,
          headers ? { ...options, headers: { ...options?.headers, ...headers } } : options,
        );
      },
    };
  }

  #wrapBackend(backend: LlmBackend, name?: string): LlmBackend {
    const wrapper: LlmBackend = {
      provider: backend.provider,
      ...(backend.wire !== undefined && { wire: backend.wire }),
      generate: async (request, options) => {
        const call = this.#startCall(backend, request, false, options, name);
        try {
          const completion: Completion = await backend.generate(request, call.options);
          this.#call("onLlmFirstToken", call.info);
          call.end({
            finishReason: completion.finishReason,
            usage: completion.usage,
            message: completion.message,
            ...(completion.id !== undefined && { responseId: completion.id }),
          });
          return completion;
        } catch (error) {
          call.end({ error });
          throw error;
        }
      },
      stream: (request, options) =>
        this.#observeStream(
          backend,
          request,
          true,
          options,
          name,
          (options) => backend.stream(request, options)[Symbol.asyncIterator](),
          (event, see) => see(event),
        ),
    };
    const { relay } = backend;
    if (relay) {
      wrapper.relay = (request, options) =>
        this.#observeStream(
          backend,
          request,
          options.stream,
          options,
          name,
          (call) =>
            relay
              .call(backend, request, { ...call, stream: options.stream })
              [Symbol.asyncIterator](),
          (item: WireEvent, see) => {
            for (const event of item.events) see(event);
          },
        );
    }
    if (backend.close) wrapper.close = () => backend.close?.() ?? Promise.resolve();
    return wrapper;
  }

  /**
   * A call whose items carry backend events (the events themselves, or a
   * relay's wire items): the call's hooks fire as `visit` shows each event.
   */
  #observeStream<T>(
    backend: LlmBackend,
    request: LlmRequest,
    streaming: boolean,
    options: CallOptions | undefined,
    name: string | undefined,
    open: (options: CallOptions) => AsyncIterator<T>,
    visit: (item: T, see: (event: BackendEvent) => void) => void,
  ): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: () => {
        const call = this.#startCall(backend, request, streaming, options, name);
        const inner = open(call.options);
        let first = true;
        const see = (event: BackendEvent) => {
          if (first && (event.type === "text-delta" || event.type === "reasoning-delta")) {
            first = false;
            this.#call("onLlmFirstToken", call.info);
          }
          if (event.type === "finish")
            call.end({
              finishReason: event.finishReason,
              usage: event.usage,
              message: event.message,
              ...(event.id !== undefined && { responseId: event.id }),
            });
        };
        // Plain `then` rather than an async `next`: one promise less per event.
        const seen = (next: IteratorResult<T>): IteratorResult<T> => {
          if (next.done) {
            call.end({});
            return next;
          }
          visit(next.value, see);
          return next;
        };
        const failed = (error: unknown): never => {
          call.end({ error });
          throw error;
        };
        return {
          next: () => nextOf(inner).then(seen, failed),
          return: async (value?: unknown) => {
            call.end({ error: new Error("abandoned") });
            return (await inner.return?.(value)) ?? { done: true, value: undefined };
          },
        };
      },
    };
  }

  #startCall(
    backend: LlmBackend,
    request: LlmRequest,
    streaming: boolean,
    options: CallOptions | undefined,
    name: string | undefined,
  ) {
    const info: LlmCallStartInfo = {
      step: this.#step,
      provider: backend.provider,
      ...(name !== undefined && { backend: name }),
      request,
      streaming,
    };
    const started = performance.now();
    const decoration = this.#call("onLlmCallStart", info);
    const headers = decoration?.headers
      ? { ...options?.headers, ...decoration.headers }
      : options?.headers;
    const own = options?.onRetry;
    const observed = decoration?.onRetry;
    const onRetry =
      own && observed
        ? (retry: RetryInfo) => {
            own(retry);
            observed(retry);
          }
        : (own ?? observed);
    let ended = false;
    return {
      info,
      options: {
        ...options,
        ...(headers && { headers }),
        ...(onRetry && { onRetry }),
      } satisfies CallOptions,
      end: (rest: Partial<LlmCallEndInfo>) => {
        if (ended) return;
        ended = true;
        this.#call("onLlmCallEnd", { ...info, durationMs: performance.now() - started, ...rest });
      },
    };
  }

  #call<K extends keyof RunHooks>(
    name: K,
    info: Parameters<NonNullable<RunHooks[K]>>[0],
  ): ReturnType<NonNullable<RunHooks[K]>> | undefined {
    const hook = this.#hooks[name] as ((info: unknown) => unknown) | undefined;
    if (!hook) return undefined;
    try {
      return hook.call(this.#hooks, info) as ReturnType<NonNullable<RunHooks[K]>>;
    } catch (error) {
      // An observer must never break the run it observes.
      this.#logger.warn(
        { hook: name, error: error instanceof Error ? error.message : String(error) },
        "run hook threw",
      );
      return undefined;
    }
  }
}
