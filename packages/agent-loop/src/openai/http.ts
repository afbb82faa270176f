import { toOpenAIError } from "@aiproxy/core";
import { jsonResponse } from "../http.js";

export { jsonResponse };

/** Any failure as OpenAI's `{"error": {...}}` with its status. */
export function errorResponse(error: unknown, extra?: HeadersInit): Response {
  const { status, body, headers } = toOpenAIError(error);
  return jsonResponse(status, body, extra, headers);
}
