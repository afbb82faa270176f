import { UpstreamError } from "@aiproxy/core";

/**
 * What is wrong with the `choices` of a completion (`message`) or a stream
 * chunk (`delta`) before the translation code reads them, in words a user
 * can act on; undefined when nothing is. Only the fields the adapter reads
 * are checked, and `null` counts as absent, as compatible servers send it.
 */
export function choicesProblem(
  choices: unknown,
  field: "message" | "delta",
  required: boolean,
): string | undefined {
  if (choices == null) return required ? "has no choices array" : undefined;
  if (!Array.isArray(choices)) return `has no choices array (choices is ${kindOf(choices)})`;
  if (required && choices.length === 0) return "has no choices";
  for (const [index, choice] of choices.entries()) {
    const at = `choices[${index}]`;
    if (!isObject(choice)) return `has a choice that is not an object (${at} is ${kindOf(choice)})`;
    const message = choice[field];
    if (message == null) continue;
    if (!isObject(message)) return `has a ${field} that is not an object (${at}.${field})`;
    const problem = messageProblem(message);
    if (problem) return `has ${problem} in ${at}.${field}`;
  }
  return undefined;
}

function messageProblem(message: Record<string, unknown>): string | undefined {
  const { content, tool_calls: toolCalls } = message;
  if (content != null && typeof content !== "string") {
    if (!Array.isArray(content)) return "content that is neither text nor a list of parts";
    if (!content.every(isObject)) return "a content part that is not an object";
  }
  if (toolCalls != null) {
    if (!Array.isArray(toolCalls)) return "tool_calls that is not a list";
    for (const call of toolCalls) {
      if (call == null) continue;
      if (!isObject(call)) return "a tool call that is not an object";
    }
  }
  return undefined;
}

/** Throws the UpstreamError for a problem `choicesProblem` found. */
export function assertChoices(choices: unknown, field: "message" | "delta", status: number): void {
  const problem = choicesProblem(choices, field, field === "message");
  if (!problem) return;
  const what = field === "message" ? "Upstream response" : "Upstream stream chunk";
  throw new UpstreamError({ upstreamStatus: status, message: `${what} ${problem}` });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
