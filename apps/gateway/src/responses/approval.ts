import type { AssistantConfig } from "@aiproxy/config";
import { type Approve, configNeedsApproval } from "../run/approval.js";
import type { McpSelection } from "./tools.js";

/**
 * Which calls a response holds for the client's approval: those the
 * assistant's `tool_approval` names (an admin's rule, which a request's
 * `never` cannot lift) and those the request's `require_approval` asks for.
 * Undefined when nothing needs approval.
 */
export function approvalPolicy(
  assistant: AssistantConfig,
  selection: McpSelection[] | undefined,
): Approve | undefined {
  const asked = (selection ?? []).filter((s) => s.requireApproval && s.requireApproval !== "never");
  if (asked.length === 0 && !assistant.tool_approval?.always.length) return undefined;
  return (call) => {
    if (configNeedsApproval(assistant, call)) return "hold";
    const rule = asked.find((s) => s.server === call.server)?.requireApproval;
    if (rule === "always") return "hold";
    if (typeof rule === "object" && rule.always.has(call.tool ?? call.name)) return "hold";
    return "run";
  };
}
