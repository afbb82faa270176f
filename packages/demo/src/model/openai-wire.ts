import { randomBytes } from "node:crypto";
import type { DemoTurn } from "./responder.js";

/** The demo model's answers in OpenAI Chat Completions form: `chat.completion` and its chunks. */

// biome-ignore lint/suspicious/noExplicitAny: request JSON of unknown shape, read defensively.
type Loose = any;

interface Answer {
  model: string;
  text: string;
  toolCalls: Array<{ id: string; name: string; argumentsJson: string }>;
  finishReason: "stop" | "tool_calls";
  promptTokens: number;
  completionTokens: number;
}

/** Tool-argument JSON is streamed in pieces this long, as providers do. */
const argumentChunkSize = 12;

const token = (bytes: number) => randomBytes(bytes).toString("base64url");
const estimateTokens = (chars: number) => Math.max(1, Math.ceil(chars / 4));

/** The turn with ids, finish reason and an estimate of about four characters per token. */
function answerOf(turn: DemoTurn, body: Loose): Answer {
  const toolCalls = (turn.toolCalls ?? []).map((call) => ({
    id: `call_${token(18)}`,
    name: call.name,
    argumentsJson: JSON.stringify(call.arguments),
  }));
  const text = turn.text ?? "";
  const generated =
    text.length + toolCalls.reduce((n, c) => n + c.name.length + c.argumentsJson.length, 0);
  const prompt = JSON.stringify([body?.messages ?? [], body?.tools ?? []]);
  return {
    model: typeof body?.model === "string" ? body.model : "demo",
    text,
    toolCalls,
    finishReason: toolCalls.length > 0 ? "tool_calls" : "stop",
    promptTokens: estimateTokens(prompt.length),
    completionTokens: estimateTokens(generated),
  };
}

function usageOf(answer: Answer) {
  return {
    prompt_tokens: answer.promptTokens,
    completion_tokens: answer.completionTokens,
    total_tokens: answer.promptTokens + answer.completionTokens,
  };
}

export function errorBody(message: string, type = "invalid_request_error") {
  return { error: { message, type, param: null, code: null } };
}

export function completion(turn: DemoTurn, body: Loose) {
  const answer = answerOf(turn, body);
  const message: Record<string, unknown> = {
    role: "assistant",
    content: answer.text === "" && answer.toolCalls.length > 0 ? null : answer.text,
  };
  if (answer.toolCalls.length > 0)
    message.tool_calls = answer.toolCalls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: call.argumentsJson },
    }));
  return {
    id: `chatcmpl-${token(21)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: answer.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: answer.finishReason }],
    usage: usageOf(answer),
  };
}

/** The whole stream as SSE text: text word by word, tool calls name first, then argument pieces. */
export function streamFrames(turn: DemoTurn, body: Loose): string {
  const answer = answerOf(turn, body);
  const includeUsage = body?.stream_options?.include_usage === true;
  const id = `chatcmpl-${token(21)}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: answer.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const deltas: unknown[] = [chunk({ role: "assistant", content: "" })];
  for (const word of answer.text.match(/\s*\S+|\s+$/g) ?? []) deltas.push(chunk({ content: word }));
  answer.toolCalls.forEach((call, index) => {
    const opening = {
      index,
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: "" },
    };
    deltas.push(chunk({ tool_calls: [opening] }));
    for (let i = 0; i < call.argumentsJson.length; i += argumentChunkSize) {
      const piece = call.argumentsJson.slice(i, i + argumentChunkSize);
      deltas.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  deltas.push(chunk({}, answer.finishReason));
  if (includeUsage) deltas.push({ ...chunk({}), choices: [], usage: usageOf(answer) });
  return `${deltas.map((delta) => `data: ${JSON.stringify(delta)}\n\n`).join("")}data: [DONE]\n\n`;
}
