import type {
  AiProxyError,
  AssistantMessage,
  FinishReason,
  LlmRequest,
  RetryInfo,
  ToolResult,
  Usage,
} from "@aiproxy/core";
import type { AgentResult } from "./types.js";

export interface StepStartInfo {
  step: number;
}

export interface StepEndInfo {
  step: number;
  finishReason: FinishReason;
  usage: Usage;
}

export interface LlmCallStartInfo {
  /** The step the call belongs to (0 before the first step, e.g. a two-model decision). */
  step: number;
  /** `backend.provider`. */
  provider: string;
  /** Set for a strategy's own backend: the two-model decider's `name`; unset for the run's backend. */
  backend?: string;
  request: LlmRequest;
  streaming: boolean;
}

export interface LlmCallEndInfo extends LlmCallStartInfo {
  durationMs: number;
  /** Set when the call succeeded. */
  finishReason?: FinishReason;
  usage?: Usage;
  responseId?: string;
  message?: AssistantMessage;
  /** Set when the call failed or was abandoned. */
  error?: unknown;
}

export interface ToolCallStartInfo {
  step: number;
  callId: string;
  /** The name the model called. */
  name: string;
  server?: string;
  tool?: string;
  arguments: string;
}

export interface ToolCallEndInfo extends ToolCallStartInfo {
  durationMs: number;
  isError: boolean;
  result: ToolResult;
}

export interface RunEndInfo {
  durationMs: number;
  result?: AgentResult;
  error?: AiProxyError;
}

/** What `onLlmCallStart` may hand back for that one call. */
export interface LlmCallDecoration {
  /** Extra HTTP headers for this call only, e.g. W3C `traceparent`. */
  headers?: Record<string, string>;
  /** Called before each retry of this call (a span event). */
  onRetry?: (info: RetryInfo) => void;
}

/** What `onToolCallStart` may hand back for that one call. */
export interface ToolCallDecoration {
  /** Trace context for the tool's server: HTTP headers, and `_meta` of the MCP request. */
  headers?: Record<string, string>;
}

/**
 * Observers of one run, in the manner of the Agents SDK's `RunHooks`: metrics
 * and tracing are built on them. Every hook is optional and called
 * synchronously; one that throws is logged and the run goes on.
 */
export interface RunHooks {
  onStepStart?(info: StepStartInfo): void;
  onStepEnd?(info: StepEndInfo): void;
  onLlmCallStart?(info: LlmCallStartInfo): LlmCallDecoration | undefined;
  /** The first text or reasoning delta of a streamed call, or a non-streamed call's answer. */
  onLlmFirstToken?(info: LlmCallStartInfo): void;
  onLlmCallEnd?(info: LlmCallEndInfo): void;
  /** May return headers for the tool call (trace context for the MCP server). */
  onToolCallStart?(info: ToolCallStartInfo): ToolCallDecoration | undefined;
  onToolCallEnd?(info: ToolCallEndInfo): void;
  onRunEnd?(info: RunEndInfo): void;
}

/** Several observers as one; each is called in order and isolated from the others' failures. */
export function combineHooks(...all: (RunHooks | undefined)[]): RunHooks {
  const hooks = all.filter((h): h is RunHooks => h !== undefined);
  return {
    onStepStart: (info) => each(hooks, (h) => h.onStepStart?.(info)),
    onStepEnd: (info) => each(hooks, (h) => h.onStepEnd?.(info)),
    onLlmCallStart: (info) => {
      let headers: Record<string, string> | undefined;
      const retries: ((info: RetryInfo) => void)[] = [];
      each(hooks, (h) => {
        const decoration = h.onLlmCallStart?.(info);
        if (decoration?.headers) headers = { ...headers, ...decoration.headers };
        if (decoration?.onRetry) retries.push(decoration.onRetry);
      });
      if (!headers && retries.length === 0) return undefined;
      return {
        ...(headers && { headers }),
        ...(retries.length > 0 && {
          onRetry: (retry: RetryInfo) => {
            for (const onRetry of retries) {
              try {
                onRetry(retry);
              } catch {
                // As for hooks: an observer never breaks the call.
              }
            }
          },
        }),
      };
    },
    onLlmFirstToken: (info) => each(hooks, (h) => h.onLlmFirstToken?.(info)),
    onLlmCallEnd: (info) => each(hooks, (h) => h.onLlmCallEnd?.(info)),
    onToolCallStart: (info) => {
      let headers: Record<string, string> | undefined;
      each(hooks, (h) => {
        const decoration = h.onToolCallStart?.(info);
        if (decoration?.headers) headers = { ...headers, ...decoration.headers };
      });
      return headers ? { headers } : undefined;
    },
    onToolCallEnd: (info) => each(hooks, (h) => h.onToolCallEnd?.(info)),
    onRunEnd: (info) => each(hooks, (h) => h.onRunEnd?.(info)),
  };
}

function each(hooks: RunHooks[], call: (hooks: RunHooks) => void): void {
  for (const h of hooks) {
    try {
      call(h);
    } catch {
      // An observer must never break the run it observes.
    }
  }
}
