import { toOpenAIError } from "@aiproxy/core";
import { jsonResponse } from "../http.js";

/** Any failure as OpenAI's `{"error": {...}}` with its status. */
export function errorResponse(error: unknown, extra?: HeadersInit): Response {
  const { status, body, headers } = toOpenAIError(error);
  return jsonResponse(status, body, extra, headers);
}

/** A failure after the status was sent: the stream's last event. */
export function errorFrame(error: unknown): string {
  return `data: ${JSON.stringify(toOpenAIError(error).body)}\n\n`;
}
