import type { ChatMessage, GenerationParams, Logger } from "@aiproxy/core";
import type { ToolCatalog } from "./tools.js";
import type { AgentEvent, RunAgentOptions } from "./types.js";

/** What every strategy's loop shares: the run's options and what `runAgent` prepared from them. */
export interface LoopContext {
  options: RunAgentOptions;
  signal: AbortSignal;
  emit: (event: AgentEvent) => void;
  logger: Logger;
  params: GenerationParams;
  /** Grows as the run goes: tool rounds, then the final message. */
  transcript: ChatMessage[];
  catalog: ToolCatalog;
  /** Tool rounds the run may execute. */
  budget: number;
  streaming: boolean;
}

export function since(start: number): number {
  return Math.round(performance.now() - start);
}
