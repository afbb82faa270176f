export {
  combineHooks,
  type LlmCallDecoration,
  type LlmCallEndInfo,
  type LlmCallStartInfo,
  type RunEndInfo,
  type RunHooks,
  type StepEndInfo,
  type StepStartInfo,
  type ToolCallDecoration,
  type ToolCallEndInfo,
  type ToolCallStartInfo,
} from "./hooks.js";
export { canRelay, type RelayAgentOptions, type RelayRun, relayAgent } from "./relay.js";
export { runAgent } from "./run-agent.js";
export { strategyJson } from "./strategy-json.js";
export type {
  AgentEvent,
  AgentResult,
  AgentRun,
  ApprovalCall,
  ApprovalDecision,
  ApprovalVerdict,
  DeferredStrategy,
  FallbackCall,
  RunAgentOptions,
  StepSummary,
  StrategyRecord,
  ToolCallSummary,
  ToolDecision,
  ToolSearch,
  ToolStrategy,
  TwoModelStrategy,
} from "./types.js";
