/** Read-only helpers over a chat request of either wire, for responders. */

/** A chat request as a responder sees it: which wire it came in on, and its parsed JSON body. */
export interface ChatRequestView {
  wire: "openai" | "anthropic";
  /** `/chat/completions` or `/messages` JSON, read defensively: it may be anything. */
  body: unknown;
}

/** Request JSON of unknown shape, walked defensively with optional chaining. */
// biome-ignore lint/suspicious/noExplicitAny: every access below is guarded at runtime.
type Loose = any;

export interface OfferedTool {
  name: string;
  /** JSON Schema of the arguments (`parameters` / `input_schema`). */
  schema: Record<string, unknown>;
}

export interface ToolResultView {
  /** Name of the tool that produced it, when the matching call is in the history. */
  name: string | undefined;
  text: string;
  isError: boolean;
}

function messagesOf(request: ChatRequestView): Loose[] {
  const messages = (request.body as Loose)?.messages;
  return Array.isArray(messages) ? messages : [];
}

/** Text of content given as a string or as parts/blocks; non-text parts are skipped. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((part) => part?.type === "text" && typeof part.text === "string")
    .map((part) => part.text as string)
    .join("\n");
}

/** The text of the last user message that has any (Anthropic tool-result turns have none). */
export function lastUserText(request: ChatRequestView): string {
  const messages = messagesOf(request);
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== "user") continue;
    const text = textOf(message.content);
    if (text !== "") return text;
  }
  return "";
}

export function offeredTools(request: ChatRequestView): OfferedTool[] {
  const tools = (request.body as Loose)?.tools;
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((tool: Loose): OfferedTool[] => {
    if (request.wire === "openai") {
      const fn = tool?.function;
      return typeof fn?.name === "string" ? [{ name: fn.name, schema: fn.parameters ?? {} }] : [];
    }
    return typeof tool?.name === "string"
      ? [{ name: tool.name, schema: tool.input_schema ?? {} }]
      : [];
  });
}

/** Tool results that end the conversation (the model is being asked to use them), else []. */
export function trailingToolResults(request: ChatRequestView): ToolResultView[] {
  const messages = messagesOf(request);
  const namesById = new Map<string, string>();
  for (const message of messages) {
    if (message?.role !== "assistant") continue;
    for (const call of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
      if (call?.id && call.function?.name) namesById.set(call.id, call.function.name);
    }
    for (const block of Array.isArray(message.content) ? message.content : []) {
      if (block?.type === "tool_use" && block.id) namesById.set(block.id, block.name);
    }
  }

  if (request.wire === "openai") {
    const results: ToolResultView[] = [];
    for (let i = messages.length - 1; i >= 0 && messages[i]?.role === "tool"; i--) {
      const message = messages[i];
      results.unshift({
        name: namesById.get(message.tool_call_id),
        text: textOf(message.content),
        isError: false,
      });
    }
    return results;
  }

  const last = messages.at(-1);
  if (last?.role !== "user" || !Array.isArray(last.content)) return [];
  return last.content
    .filter((block: Loose) => block?.type === "tool_result")
    .map((block: Loose) => ({
      name: namesById.get(block.tool_use_id),
      text: textOf(block.content),
      isError: block.is_error === true,
    }));
}
