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
  signal?: AbortSignal;
  logger?: Logger;
}

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
}

/**
 * A running agent. Iterate it once for live events, or only await `result`:
 * the run proceeds either way. Breaking out of the iteration aborts the run.
 */
export interface AgentRun extends AsyncIterable<AgentEvent> {
  /** Rejects with the run's AiProxyError; never an unhandled rejection if nobody awaits it. */
  readonly result: Promise<AgentResult>;
}
