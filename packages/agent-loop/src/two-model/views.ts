import { type ChatMessage, contentText, type ToolCall } from "@aiproxy/core";

/**
 * What the deciding model is shown. `turn`: every system or developer message
 * and everything from the last user message on (this turn's tool rounds
 * included), so a long conversation does not cost a decision its context
 * window. `full`: the whole transcript.
 */
export function deciderView(transcript: ChatMessage[], context: "turn" | "full"): ChatMessage[] {
  if (context === "full") return [...transcript];
  const lastUser = transcript.findLastIndex((m) => m.role === "user");
  if (lastUser < 0) return [...transcript];
  return transcript.filter(
    (m, i) => i >= lastUser || m.role === "system" || m.role === "developer",
  );
}

/**
 * What the answering model is shown: the transcript without tool calls or
 * tool messages, since a model that cannot call tools may reject them (and
 * Anthropic rejects tool blocks in a request without tools). Each run of tool
 * results becomes one system message where it happened.
 */
export function answerView(transcript: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const calls = new Map<string, ToolCall>();
  let results: string[] = [];
  const flush = () => {
    if (results.length === 0) return;
    out.push({
      role: "system",
      content: `Tool results for this conversation (the user has not seen them; use them to answer):\n\n${results.join("\n\n")}`,
    });
    results = [];
  };
  for (const message of transcript) {
    if (message.role === "tool") {
      const call = calls.get(message.tool_call_id);
      const name = call?.function.name ?? "tool";
      const args = call?.function.arguments.trim() || "{}";
      const status = message.isError ? "failed" : "returned";
      results.push(`${name}(${args}) ${status}:\n${contentText(message.content)}`);
      continue;
    }
    flush();
    if (message.role === "assistant" && message.tool_calls?.length) {
      for (const call of message.tool_calls) calls.set(call.id, call);
      const text = contentText(message.content).trim();
      if (text) out.push({ role: "assistant", content: text });
      continue;
    }
    out.push(message);
  }
  flush();
  return out;
}

/** The text of the last user message, for a fallback's `{user}`. */
export function lastUserText(transcript: ChatMessage[]): string {
  const last = transcript.findLast((m) => m.role === "user");
  return last ? contentText(last.content) : "";
}
