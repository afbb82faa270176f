import type { ResolvedTurn } from "./script.js";
import type { RecordedRequest } from "./types.js";

/** Per-response facts both renderers stamp into what they send. */
export interface ResponseContext {
  requestId: string;
  /** Unix seconds. */
  created: number;
  systemFingerprint: string;
  includeUsage: boolean;
}

export interface ErrorReply {
  status: number;
  body: unknown;
}

/** One provider's wire format: everything the server needs to answer in its dialect. */
export interface Wire {
  readonly name: "openai" | "anthropic";
  /** Headers the provider sends on every response (request id and the like). */
  baseHeaders(requestId: string, elapsedMs: number): Record<string, string>;
  newRequestId(): string;
  newToolCallId(): string;
  /** The provider's 401 when the key is missing or wrong, else undefined. */
  authenticate(
    headers: Record<string, string>,
    requiredKey: string,
    requestId: string,
  ): ErrorReply | undefined;
  /** The provider's 400 for a body it would reject, else undefined. */
  validate(body: RecordedRequest["body"], requestId: string): ErrorReply | undefined;
  errorReply(status: number, requestId: string, message?: string, type?: string): ErrorReply;
  completion(turn: ResolvedTurn, context: ResponseContext): unknown;
  /** Complete SSE frames (each ends with a blank line), in order. */
  streamFrames(turn: ResolvedTurn, context: ResponseContext): string[];
  streamErrorFrame(requestId: string, message?: string, type?: string): string;
  models(): unknown;
}

export const sseData = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

export const sseEvent = (event: string, data: unknown) =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** Never echo a credential, not even a wrong one: show its last four characters at most. */
export const maskKey = (key: string) => (key.length > 8 ? `***${key.slice(-4)}` : "***");

export const scriptedModels = {
  openai: ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "o4-mini"],
  anthropic: ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"],
};
