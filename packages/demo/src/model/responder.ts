import {
  type ChatRequestView,
  lastUserText,
  type OfferedTool,
  offeredTools,
  trailingToolResults,
} from "./request-view.js";

/** One tool call the demo model makes. */
export interface DemoToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** What the demo model answers to one chat request: text, or tool calls. */
export interface DemoTurn {
  text?: string;
  toolCalls?: DemoToolCall[];
}

export type DemoResponder = (request: ChatRequestView) => DemoTurn;

const maxQuotedResult = 500;

function findTool(tools: OfferedTool[], ...suffixes: string[]): OfferedTool | undefined {
  for (const suffix of suffixes) {
    const tool = tools.find((t) => t.name.toLowerCase().endsWith(suffix));
    if (tool) return tool;
  }
  return undefined;
}

/** Arguments for a clock tool: nothing, unless its schema insists on a timezone. */
function timeArguments(tool: OfferedTool): Record<string, unknown> {
  const required: unknown = tool.schema?.required;
  return Array.isArray(required) && required.includes("timezone") ? { timezone: "UTC" } : {};
}

function quote(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > maxQuotedResult ? `${trimmed.slice(0, maxQuotedResult)}...` : trimmed;
}

function answerFromToolResults(request: ChatRequestView): DemoTurn | undefined {
  const results = trailingToolResults(request);
  if (results.length === 0) return undefined;
  const sentences = results.map((result) => {
    const name = result.name ?? "tool";
    return result.isError
      ? `The ${name} tool failed: ${quote(result.text)}.`
      : `The ${name} tool says: ${quote(result.text)}.`;
  });
  return { text: `${sentences.join(" ")} That is everything I found.` };
}

function callAToolFor(request: ChatRequestView, userText: string): DemoTurn | undefined {
  const tools = offeredTools(request);
  if (tools.length === 0) return undefined;

  const numbers = userText.match(/-?\d+(?:\.\d+)?/g)?.map(Number) ?? [];
  const add = findTool(tools, "add");
  if (add && numbers.length >= 2) {
    return { toolCalls: [{ name: add.name, arguments: { a: numbers[0], b: numbers[1] } }] };
  }
  const clock = findTool(tools, "get_time", "time");
  if (clock && /\btime\b/i.test(userText)) {
    return { toolCalls: [{ name: clock.name, arguments: timeArguments(clock) }] };
  }
  const echo = findTool(tools, "echo");
  if (echo) return { toolCalls: [{ name: echo.name, arguments: { message: userText } }] };
  return undefined;
}

/**
 * The deterministic "model" behind the gateway's no-API-key demo. It reads a
 * request of either wire: answers tool results in prose, calls an offered
 * add/time/echo tool when the user's words call for it, and otherwise echoes.
 * Usage is left to the server's estimate of about four characters per token.
 */
export function demoResponder(): DemoResponder {
  return (request) => {
    const userText = lastUserText(request);
    return (
      answerFromToolResults(request) ??
      callAToolFor(request, userText) ?? { text: `You said: ${userText}` }
    );
  };
}
