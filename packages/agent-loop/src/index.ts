export { runAgent } from "./run-agent.js";
export type {
  AgentEvent,
  AgentResult,
  AgentRun,
  RunAgentOptions,
  StepSummary,
  ToolCallSummary,
} from "./types.js";
