import type { RunAgentOptions } from "@aiproxy/agent-loop";
import type { AssistantConfig } from "@aiproxy/config";

export type Approve = NonNullable<RunAgentOptions["approve"]>;
export type ApprovalCall = Parameters<Approve>[0];
export type ApprovalDecision = NonNullable<RunAgentOptions["approvals"]>[number];

/** Whether the assistant's config (`tool_approval.always`) makes this call wait for approval. */
export function configNeedsApproval(assistant: AssistantConfig, call: ApprovalCall): boolean {
  return assistant.tool_approval?.always.includes(call.name) ?? false;
}

/**
 * For surfaces that cannot ask the user (chat, messages): a call the
 * assistant's config requires approval for is refused, never run unasked.
 */
export function refuseUnapproved(assistant: AssistantConfig): Approve | undefined {
  if (!assistant.tool_approval?.always.length) return undefined;
  return (call) => (configNeedsApproval(assistant, call) ? "refuse" : "run");
}
