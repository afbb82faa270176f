import type {
  AiProxyError,
  AssistantMessage,
  ChatMessage,
  FinishReason,
  GenerationParams,
  LlmBackend,
  Logger,
  ToolDefinition,
  ToolResult,
  Toolset,
  Usage,
} from "@aiproxy/core";
import type { RunHooks } from "./hooks.js";

export interface RunAgentOptions {
  backend: LlmBackend;
  /** The provider's model id, sent to the backend. */
  model: string;
  messages: ChatMessage[];
  /** Prepended when `messages` holds no system or developer message. */
  systemPrompt?: string;
  /** Tools the run executes itself (MCP tools, usually from `@aiproxy/mcp-fabric`). */
  toolset?: Toolset;
  /** The client's own `tools`: a call to one ends the run with `finish_reason: "tool_calls"`. */
  clientTools?: ToolDefinition[];
  /** From the client's request; each key set here overrides `defaultParams`. */
  params?: GenerationParams;
  /** The assistant's defaults. */
  defaultParams?: GenerationParams;
  extraBody?: Record<string, unknown>;
  /** Tool rounds the run may execute before a final step without tools. Default 10. */
  maxToolIterations?: number;
  /** `backend.stream` (default) or `backend.generate`. */
  streaming?: boolean;
  /** How a step gets its tool calls. Default `{ kind: "direct" }`: the model calls tools itself. */
  toolStrategy?: ToolStrategy;
  signal?: AbortSignal;
  logger?: Logger;
  /** Observers of the run's steps, LLM calls and tool calls (metrics, tracing); see `combineHooks`. */
  hooks?: RunHooks;
  /**
   * Whether an MCP call may run: `run`, `hold` (it is not run; the run ends
   * after the step's other calls, with `finishReason: "tool_calls"` and the
   * call in `AgentResult.held`, for the client to approve), or `refuse` (the
   * model gets a tool error saying it needs an approval nobody can give).
   * Default: every call runs. A two-model turn refuses what it would hold.
   */
  approve?: (call: ApprovalCall) => ApprovalVerdict;
  /**
   * The client's answers to calls an earlier run held. Set (even empty), the
   * run first answers the unanswered tool calls in `messages`: approved ones
   * run as one tool round, the rest get a refusal the model sees.
   */
  approvals?: ApprovalDecision[];
}

/** An MCP call as `approve` judges it. */
export interface ApprovalCall {
  callId: string;
  /** The exposed name (`<server>__<tool>`). */
  name: string;
  server?: string;
  tool?: string;
  arguments: string;
}

export type ApprovalVerdict = "run" | "hold" | "refuse";

/** The client's answer to a held call. */
export interface ApprovalDecision {
  callId: string;
  approve: boolean;
  /** Shown to the model with a refusal. */
  reason?: string;
}

/** A tool call a strategy may make on its own (`TwoModelStrategy.fallback`). */
export interface FallbackCall {
  /** The exposed name (`<server>__<tool>`). */
  tool: string;
  /** `{user}` in a string value is replaced by the last user message's text. */
  arguments?: Record<string, unknown>;
}

/**
 * Two models per turn: `backend`/`model` here decide which tools to call,
 * without streaming; the run's own backend then writes the answer and is
 * never sent a tool definition.
 */
export interface TwoModelStrategy {
  kind: "two-model";
  backend: LlmBackend;
  model: string;
  /** A name for the record (`tool_backend`), e.g. the config's backend name. */
  name?: string;
  /**
   * A decision's calls run only if the confidence the decider reports is at
   * least this. A decider that reports none is trusted. Default 0.5.
   */
  confidence?: number;
  /** `turn` (default): system prompt and everything from the last user message on. `full`: all of it. */
  context?: "turn" | "full";
  /** Decisions per turn. Default: `maxToolIterations`. */
  maxRounds?: number;
  /** Called when the turn's first decision runs nothing. */
  fallback?: FallbackCall;
  /** Put each executed call's result text in the decision record. Default false. */
  exposeResults?: boolean;
}

/**
 * The model is offered one `search_tools` tool instead of the whole list;
 * tools a search finds are offered from the next step on.
 */
export interface DeferredStrategy {
  kind: "deferred";
  /** Exposed names offered from the start besides `search_tools`. */
  alwaysLoaded?: string[];
  /** Tools one search returns at most. Default 5. */
  maxResults?: number;
}

export type ToolStrategy = { kind: "direct" } | TwoModelStrategy | DeferredStrategy;

/** One round of a two-model turn: what the decider proposed and what ran. */
export interface ToolDecision {
  round: number;
  /** The proposed calls, or the fallback call when `fallback` is set. */
  toolCalls: { name: string; arguments: string }[];
  /** As the decider reported it; null when it reported none (and so was trusted). */
  confidence: number | null;
  executed: boolean;
  fallback?: boolean;
  /** Calls that failed (invalid arguments, unknown tool, the tool's own error), always recorded. */
  errors?: { name: string; message: string }[];
  /** With `exposeResults`: each executed call's result text, clipped as the toolset clips it. */
  results?: { name: string; content: string; isError: boolean }[];
}

/** One `search_tools` call of a deferred run. */
export interface ToolSearch {
  step: number;
  query: string;
  /** Exposed names found, best first. */
  found: string[];
}

/** What a strategy decided during the run, for renderers to show (`x_aiproxy` on chat). */
export type StrategyRecord =
  | { kind: "two-model"; toolBackend?: string; decisions: ToolDecision[] }
  | { kind: "deferred"; searches: ToolSearch[]; loaded: string[] };

export type AgentEvent =
  | { type: "step-start"; step: number }
  | { type: "text-delta"; step: number; delta: string }
  | {
      type: "reasoning-delta";
      step: number;
      delta: string;
      /** The reasoning's signature, when the provider signs it (see BackendEvent). */
      signature?: string;
    }
  | {
      type: "tool-call";
      step: number;
      callId: string;
      name: string;
      server?: string;
      tool?: string;
      arguments: string;
      /** True for the client's own tools: the run ends and hands the call to the client. */
      client: boolean;
      /** An MCP call `approve` held: it is not run, and the run ends waiting for the client's approval. */
      held?: true;
    }
  | {
      type: "tool-result";
      step: number;
      callId: string;
      name: string;
      server?: string;
      tool?: string;
      result: ToolResult;
      durationMs: number;
      isError: boolean;
    }
  /** The step's usage as far as the backend reported it before finishing (its prompt's count). */
  | { type: "step-usage"; step: number; usage: Usage }
  | { type: "step-finish"; step: number; finishReason: FinishReason; usage: Usage }
  | { type: "finish"; result: AgentResult }
  | { type: "error"; error: AiProxyError };

export interface ToolCallSummary {
  callId: string;
  name: string;
  server?: string;
  tool?: string;
  client: boolean;
  /** Unset for client calls, which the run does not execute. */
  isError?: boolean;
  durationMs?: number;
}

/** One backend call and the tool calls it asked for. */
export interface StepSummary {
  step: number;
  finishReason: FinishReason;
  usage: Usage;
  toolCalls: ToolCallSummary[];
  durationMs: number;
  /** Set on a two-model run's decision calls (made to the deciding backend). */
  decision?: true;
}

export interface AgentResult {
  /** The last step's assistant message; with client tool calls, exactly those calls. */
  message: AssistantMessage;
  finishReason: FinishReason;
  /** Summed over all steps. */
  usage: Usage;
  steps: StepSummary[];
  /** The whole transcript: system prompt, input, every tool round and the final message. */
  messages: ChatMessage[];
  /** Set by the two-model and deferred strategies. */
  strategy?: StrategyRecord;
  /** MCP calls `approve` held: the run ended waiting for the client's answers (`approvals`). */
  held?: ApprovalCall[];
}

/**
 * A running agent. Iterate it once for live events, or only await `result`:
 * the run proceeds either way. Breaking out of the iteration aborts the run.
 */
export interface AgentRun extends AsyncIterable<AgentEvent> {
  /** Rejects with the run's AiProxyError; never an unhandled rejection if nobody awaits it. */
  readonly result: Promise<AgentResult>;
}
