import { lastUserText } from "@aiproxy/demo";
import type { RecordedRequest, Responder, Turn } from "./types.js";

export type FinishReason = NonNullable<Turn["finishReason"]>;

export interface ResolvedToolCall {
  id: string;
  name: string;
  /** The exact JSON text sent as arguments (OpenAI) or streamed as `partial_json` (Anthropic). */
  argumentsJson: string;
}

export interface ResolvedUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cacheCreationTokens: number;
  reasoningTokens: number;
}

/** A turn with every default filled in, ready for a wire renderer. */
export interface ResolvedTurn {
  model: string;
  text: string;
  reasoning: string | undefined;
  toolCalls: ResolvedToolCall[];
  finishReason: FinishReason;
  usage: ResolvedUsage;
  textChunkSize: number | undefined;
  topLevel: Record<string, unknown>;
}

/** Tool-argument JSON is streamed in pieces this long unless the turn sets `textChunkSize`. */
const argumentChunkSize = 12;

const estimateTokens = (chars: number) => Math.ceil(chars / 4);

export function resolveTurn(
  turn: Turn,
  request: RecordedRequest,
  newToolCallId: () => string,
): ResolvedTurn {
  const toolCalls = (turn.toolCalls ?? []).map((call) => ({
    id: call.id ?? newToolCallId(),
    name: call.name,
    argumentsJson:
      typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
  }));
  const text = turn.text ?? "";
  const reasoning = turn.reasoning || undefined;
  const reasoningTokens = reasoning ? estimateTokens(reasoning.length) : 0;
  const generatedChars =
    text.length + toolCalls.reduce((n, c) => n + c.name.length + c.argumentsJson.length, 0);
  const usage: ResolvedUsage = turn.usage
    ? {
        promptTokens: turn.usage.promptTokens,
        completionTokens: turn.usage.completionTokens,
        cachedTokens: turn.usage.cachedTokens ?? 0,
        cacheCreationTokens: turn.usage.cacheCreationTokens ?? 0,
        reasoningTokens: Math.min(reasoningTokens, turn.usage.completionTokens),
      }
    : {
        promptTokens: estimatePromptTokens(request.body),
        completionTokens: Math.max(1, estimateTokens(generatedChars) + reasoningTokens),
        cachedTokens: 0,
        cacheCreationTokens: 0,
        reasoningTokens,
      };
  return {
    model: typeof request.body?.model === "string" ? request.body.model : "unknown-model",
    text,
    reasoning,
    toolCalls,
    finishReason: turn.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
    usage,
    textChunkSize: turn.textChunkSize,
    topLevel: turn.topLevel ?? {},
  };
}

function estimatePromptTokens(body: RecordedRequest["body"]): number {
  const prompt = JSON.stringify([body?.system ?? null, body?.messages ?? [], body?.tools ?? []]);
  return Math.max(1, estimateTokens(prompt.length));
}

/** Splits text into stream deltas: fixed-size pieces, or words with their leading whitespace. */
export function splitText(text: string, size?: number): string[] {
  if (text === "") return [];
  if (size && size > 0) return splitEvery(text, size);
  return text.match(/\s*\S+|\s+$/g) ?? [text];
}

export function splitArguments(json: string, size?: number): string[] {
  return json === "" ? [] : splitEvery(json, size && size > 0 ? size : argumentChunkSize);
}

function splitEvery(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/** The FIFO of scripted turns, falling back to a responder when it runs dry. */
export class TurnScript {
  private readonly queue: Array<Turn | Responder> = [];

  constructor(private fallback: Responder = echoLastUserMessage) {}

  enqueue(turns: Array<Turn | Responder>): void {
    this.queue.push(...turns);
  }

  setFallback(responder: Responder): void {
    this.fallback = responder;
  }

  /** Takes the next entry synchronously so concurrent requests consume turns in arrival order. */
  next(request: RecordedRequest): Promise<Turn> {
    const entry = this.queue.shift() ?? this.fallback;
    return typeof entry === "function"
      ? Promise.resolve().then(() => entry(request))
      : Promise.resolve(entry);
  }
}

export const echoLastUserMessage: Responder = (request) => ({ text: lastUserText(request) });
