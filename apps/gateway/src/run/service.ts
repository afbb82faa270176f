import {
  type AgentResult,
  type AgentRun,
  canRelay,
  combineHooks,
  type RelayRun,
  type RunAgentOptions,
  type RunHooks,
  relayAgent,
  runAgent,
  type ToolStrategy,
} from "@aiproxy/agent-loop";
import {
  AiProxyError,
  type ChatMessage,
  type GenerationParams,
  type Logger,
  type ToolDefinition,
  type Toolset,
  type WireFormat,
} from "@aiproxy/core";
import type { Context } from "hono";
import type { GatewayEnv } from "../env.js";
import { acquireFor } from "../grants.js";
import type { AssistantLease, Registry } from "../registry/registry.js";
import { ownerOf } from "../responses/owner.js";
import { type GatewayTelemetry, type ObservedRun, surfaceOf } from "../telemetry/telemetry.js";
import { type ApprovalDecision, type Approve, refuseUnapproved } from "./approval.js";
import { withCallHeaders } from "./call-headers.js";

/** What a surface's parser makes of a request: the run in canonical terms. */
export interface RunSpec {
  messages: ChatMessage[];
  clientTools: ToolDefinition[] | undefined;
  params: GenerationParams;
  /** Provider-specific body fields from the request; the assistant's `extra_body` goes under them. */
  extraBody?: Record<string, unknown>;
  /** HTTP headers for every upstream call of the run, e.g. the client's `anthropic-beta`. */
  headers?: Record<string, string>;
  stream: boolean;
  /**
   * The tools the run executes itself, when the request narrows the
   * assistant's (the Responses API's `mcp` tools); default the assistant's.
   */
  toolset?: Toolset;
  /**
   * Which MCP calls wait for the client's approval, for a surface that can
   * ask (Responses); default: the assistant's `tool_approval` calls are refused.
   */
  approve?: Approve;
  /** The client's answers to calls an earlier response held. */
  approvals?: ApprovalDecision[];
}

export interface StartRunOptions {
  /** The assistant name the client asked for. */
  model: string;
  /** The log line's `msg`, e.g. "chat completion". */
  logMessage: string;
  /** Turns the request into a run once the assistant (and so its backend) is known. */
  build: (lease: AssistantLease) => RunSpec;
  /** More fields for the run's log line, e.g. the tools a surface dropped. Config names only. */
  logFields?: Record<string, unknown>;
}

export interface StartedRun {
  run: AgentRun;
  lease: AssistantLease;
  spec: RunSpec;
  requestId: string;
}

/** `startRelayable`'s run: relayed when nothing stands between the model and the client. */
export type StartedRelayable =
  | (StartedRun & { relay?: undefined })
  | (Omit<StartedRun, "run"> & { relay: RelayRun; run?: undefined });

export interface RunServiceOptions {
  registry: Registry;
  logger: Logger;
  /** Metrics and traces of every run; none when absent. */
  telemetry?: GatewayTelemetry;
  /** Called with each run's log line, its status and its steps (the console's request tail). */
  onRunLogged?: (line: RunLogLine) => void;
}

/** A run's log line as `onRunLogged` receives it. */
export interface RunLogLine extends Record<string, unknown> {
  requestId: string;
  assistant: string;
  msg: string;
  status: number;
  stepList?: AgentResult["steps"];
}

/**
 * The one place a request becomes an agent run, whatever its surface: it
 * holds the assistant's lease for as long as the run lives (so a replaced
 * backend is disposed only after its last request), aborts the run when the
 * client disconnects, and logs one line per run with the caller, steps,
 * tool calls and usage.
 */
export class RunService {
  readonly #registry: Registry;
  readonly #logger: Logger;
  readonly #telemetry: GatewayTelemetry | undefined;
  readonly #onRunLogged: RunServiceOptions["onRunLogged"];

  constructor({ registry, logger, telemetry, onRunLogged }: RunServiceOptions) {
    this.#registry = registry;
    this.#logger = logger;
    this.#telemetry = telemetry;
    this.#onRunLogged = onRunLogged;
  }

  start(c: Context<GatewayEnv>, options: StartRunOptions): StartedRun {
    return this.#start(c, options, undefined) as StartedRun;
  }

  /**
   * `start` for a surface that speaks `wire`: when the assistant's backend
   * relays that format and the run has no tools, strategy or approvals, the
   * run is a relay (see `relayAgent`), observed and logged the same way.
   */
  startRelayable(
    c: Context<GatewayEnv>,
    options: StartRunOptions,
    wire: WireFormat,
  ): StartedRelayable {
    return this.#start(c, options, wire);
  }

  #start(
    c: Context<GatewayEnv>,
    options: StartRunOptions,
    wire: WireFormat | undefined,
  ): StartedRelayable {
    const started = performance.now();
    // A model outside the caller's grant is answered as one that does not exist.
    const lease = acquireFor(this.#registry, c.get("caller"), options.model);
    const surface = surfaceOf(c.req.path);
    let spec: RunSpec;
    let run: AgentRun | RelayRun;
    let relayed = false;
    let observed: ObservedRun | undefined;
    let firstTokenAt: number | undefined;
    try {
      spec = options.build(lease);
      observed = this.#observe(c, lease, spec, surface, started);
      const timing: RunHooks = {
        onLlmFirstToken: () => {
          firstTokenAt ??= performance.now();
        },
      };
      const hooks = observed?.hooks ? combineHooks(observed.hooks, timing) : timing;
      const agent = this.#options(lease, spec, c.req.raw.signal, hooks);
      relayed = wire !== undefined && canRelay(agent, wire);
      run = relayed ? relayAgent(agent) : runAgent(agent);
    } catch (error) {
      observed?.end(AiProxyError.isInstance(error) ? error.status : 500);
      lease.release();
      throw error;
    }
    // From here on the run's own line replaces the generic request line.
    c.set("logged", true);
    const requestId = c.get("requestId");
    const entry = {
      requestId,
      caller: c.get("caller")?.provider,
      // Which key (or Apiman client's key) called, as a stable hash: never the key.
      callerId: ownerOf(c.get("caller"), c.req.raw).slice(0, 16),
      assistant: lease.assistant.name,
      started,
      msg: options.logMessage,
      fields: { surface, ...options.logFields },
      firstTokenMs: () =>
        firstTokenAt === undefined ? undefined : Math.round(firstTokenAt - started),
    };
    run.result.then(
      () => observed?.end(200),
      (error: unknown) => observed?.end(AiProxyError.isInstance(error) ? error.status : 500),
    );
    run.result.then(
      (result) => logRun(this.#logger, "info", { ...entry, result }, this.#onRunLogged),
      (error: unknown) =>
        logRun(
          this.#logger,
          AiProxyError.isInstance(error) && error.status < 500 ? "info" : "warn",
          {
            ...entry,
            error,
          },
          this.#onRunLogged,
        ),
    );
    run.result.then(lease.release, lease.release);
    return relayed
      ? { relay: run as RelayRun, lease, spec, requestId }
      : { run: run as AgentRun, lease, spec, requestId };
  }

  #observe(
    c: Context<GatewayEnv>,
    lease: AssistantLease,
    spec: RunSpec,
    surface: string,
    started: number,
  ): ObservedRun | undefined {
    const telemetry = this.#telemetry;
    if (!telemetry) return undefined;
    const { assistant } = lease;
    // Config names only: these become label values.
    return telemetry.observeRun({
      request: c.req.raw,
      surface,
      assistant: assistant.name,
      backend: assistant.backend,
      model: assistant.model,
      provider: lease.backend.provider,
      servers: new Set(Object.keys(this.#registry.config.mcp_servers)),
      ...(assistant.tool_backend !== undefined && {
        otherBackends: new Set([assistant.tool_backend]),
        otherModels: new Set([assistant.tool_model ?? assistant.model]),
      }),
      requestId: c.get("requestId"),
      stream: spec.stream,
      started,
    });
  }

  #options(
    lease: AssistantLease,
    spec: RunSpec,
    signal: AbortSignal,
    hooks: RunHooks,
  ): RunAgentOptions {
    const { assistant } = lease;
    const extraBody =
      spec.extraBody && Object.keys(spec.extraBody).length > 0
        ? { ...assistant.extra_body, ...spec.extraBody }
        : assistant.extra_body;
    return {
      backend: spec.headers ? withCallHeaders(lease.backend, spec.headers) : lease.backend,
      model: assistant.model,
      messages: spec.messages,
      systemPrompt: assistant.system_prompt,
      toolset: spec.toolset ?? lease.toolset,
      clientTools: spec.clientTools,
      params: spec.params,
      defaultParams: assistant.params,
      extraBody,
      maxToolIterations: assistant.max_tool_iterations,
      toolStrategy: toolStrategy(lease),
      streaming: spec.stream,
      // Aborts on a client disconnect before the first byte or for a non-streamed request;
      // a streamed body's cancellation aborts it after that.
      signal,
      logger: this.#logger,
      hooks,
      ...definedOnly({
        approve: spec.approve ?? refuseUnapproved(assistant),
        approvals: spec.approvals,
      }),
    };
  }
}

/** The assistant's tool strategy, from its two-model or tool-loading options. */
function toolStrategy({ assistant, toolBackend }: AssistantLease): ToolStrategy | undefined {
  if (toolBackend && assistant.tool_backend !== undefined)
    return {
      kind: "two-model",
      backend: toolBackend,
      model: assistant.tool_model ?? assistant.model,
      name: assistant.tool_backend,
      ...definedOnly({
        confidence: assistant.tool_confidence,
        context: assistant.tool_context,
        maxRounds: assistant.tool_max_rounds,
        fallback: assistant.tool_fallback,
        exposeResults: assistant.expose_tool_results,
      }),
    };
  if (assistant.tool_loading === "deferred")
    return { kind: "deferred", alwaysLoaded: assistant.always_loaded ?? [] };
  return undefined;
}

/** The fields that are set (options read `"x" in`), without the entries/fromEntries arrays per request. */
function definedOnly<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key in obj) if (obj[key] !== undefined) out[key] = obj[key];
  return out;
}

interface RunLog {
  requestId: string;
  caller: string | undefined;
  callerId: string;
  assistant: string;
  started: number;
  msg: string;
  fields?: Record<string, unknown>;
  /** From the request's arrival to the model's first text, when there was any. */
  firstTokenMs: () => number | undefined;
  result?: AgentResult;
  error?: unknown;
}

function logRun(
  logger: Logger,
  level: "info" | "warn",
  entry: RunLog,
  onRunLogged?: (line: RunLogLine) => void,
): void {
  const { result, error } = entry;
  const firstTokenMs = entry.firstTokenMs();
  const line = {
    requestId: entry.requestId,
    ...(entry.caller !== undefined && { caller: entry.caller, callerId: entry.callerId }),
    assistant: entry.assistant,
    ...entry.fields,
    latencyMs: Math.round(performance.now() - entry.started),
    ...(firstTokenMs !== undefined && { firstTokenMs }),
    ...(result && {
      steps: result.steps.length,
      toolCalls: result.steps.flatMap((step) =>
        step.toolCalls.map((call) => ({
          name: call.name,
          ...(call.isError !== undefined && { isError: call.isError }),
          ...(call.durationMs !== undefined && { durationMs: Math.round(call.durationMs) }),
        })),
      ),
      finishReason: result.finishReason,
      usage: result.usage,
    }),
    ...(error !== undefined && {
      error: AiProxyError.isInstance(error)
        ? { code: error.code, status: error.status, message: error.message }
        : { message: "internal error" },
    }),
  };
  logger[level](line, entry.msg);
  if (!onRunLogged) return;
  const status = error === undefined ? 200 : AiProxyError.isInstance(error) ? error.status : 500;
  try {
    onRunLogged({ ...line, msg: entry.msg, status, ...(result && { stepList: result.steps }) });
  } catch (tapError) {
    logger.warn({ err: String(tapError) }, "the run log tap failed");
  }
}
