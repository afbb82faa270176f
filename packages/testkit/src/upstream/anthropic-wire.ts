import { ids, thinkingSignature } from "./ids.js";
import { type FinishReason, type ResolvedTurn, splitArguments, splitText } from "./script.js";
import { type ErrorReply, scriptedModels, sseEvent, type Wire } from "./wire.js";

/** Anthropic Messages: the `message` object, its SSE event sequence and `{ type: "error" }` bodies. */

const stopReasons: Record<FinishReason, string> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  content_filter: "refusal",
};

const defaultErrors: Record<number, { type: string; message: string }> = {
  400: { type: "invalid_request_error", message: "Invalid request." },
  401: { type: "authentication_error", message: "invalid x-api-key" },
  403: {
    type: "permission_error",
    message: "Your API key does not have permission to use the specified resource.",
  },
  404: { type: "not_found_error", message: "Not found." },
  413: {
    type: "request_too_large",
    message: "Request exceeds the maximum allowed number of bytes.",
  },
  429: {
    type: "rate_limit_error",
    message: "Number of requests has exceeded your per-minute rate limit.",
  },
  500: { type: "api_error", message: "Internal server error" },
  504: { type: "timeout_error", message: "Request timed out." },
  529: { type: "overloaded_error", message: "Overloaded" },
};

function errorBody(status: number, requestId: string, message?: string, type?: string) {
  const fallback = defaultErrors[status] ?? defaultErrors[status >= 500 ? 500 : 400]!;
  return {
    type: "error",
    error: { type: type ?? fallback.type, message: message ?? fallback.message },
    request_id: requestId,
  };
}

/** Anthropic's `input_tokens` excludes what the cache served or stored; the turn's prompt count includes it. */
function usageCounts(turn: ResolvedTurn) {
  const { usage } = turn;
  return {
    input_tokens: Math.max(0, usage.promptTokens - usage.cachedTokens - usage.cacheCreationTokens),
    cache_creation_input_tokens: usage.cacheCreationTokens,
    cache_read_input_tokens: usage.cachedTokens,
  };
}

function fullUsage(turn: ResolvedTurn, outputTokens: number) {
  return {
    ...usageCounts(turn),
    cache_creation: {
      ephemeral_5m_input_tokens: turn.usage.cacheCreationTokens,
      ephemeral_1h_input_tokens: 0,
    },
    output_tokens: outputTokens,
    service_tier: "standard",
  };
}

/** A scripted string that is not a JSON object stays a string, so adapters meet the malformed input too. */
function toolInput(argumentsJson: string): unknown {
  try {
    return JSON.parse(argumentsJson);
  } catch {
    return argumentsJson;
  }
}

type Block =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; argumentsJson: string };

function blocksOf(turn: ResolvedTurn): Block[] {
  const blocks: Block[] = [];
  if (turn.reasoning) {
    blocks.push({
      type: "thinking",
      thinking: turn.reasoning,
      signature: thinkingSignature(turn.reasoning),
    });
  }
  if (turn.text !== "" || turn.toolCalls.length === 0)
    blocks.push({ type: "text", text: turn.text });
  for (const call of turn.toolCalls) blocks.push({ type: "tool_use", ...call });
  return blocks;
}

/** The empty block `content_block_start` carries, and the deltas that fill it. */
function blockStream(block: Block, chunkSize: number | undefined): [unknown, unknown[]] {
  switch (block.type) {
    case "thinking":
      return [
        { type: "thinking", thinking: "", signature: "" },
        [
          ...splitText(block.thinking, chunkSize).map((thinking) => ({
            type: "thinking_delta",
            thinking,
          })),
          { type: "signature_delta", signature: block.signature },
        ],
      ];
    case "text":
      return [
        { type: "text", text: "" },
        splitText(block.text, chunkSize).map((text) => ({ type: "text_delta", text })),
      ];
    case "tool_use":
      return [
        { type: "tool_use", id: block.id, name: block.name, input: {} },
        splitArguments(block.argumentsJson, chunkSize).map((partial_json) => ({
          type: "input_json_delta",
          partial_json,
        })),
      ];
  }
}

export const anthropicWire: Wire = {
  name: "anthropic",
  baseHeaders: (requestId) => ({ "request-id": requestId }),
  newRequestId: ids.anthropicRequest,
  newToolCallId: ids.anthropicToolUse,

  authenticate(headers, requiredKey, requestId) {
    // The API takes `x-api-key`; the official SDK (1.x) sends the same key as a bearer token.
    const key =
      headers["x-api-key"] || /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1]?.trim();
    if (key === requiredKey) return undefined;
    const message = key ? "invalid x-api-key" : "x-api-key header is required";
    return { status: 401, body: errorBody(401, requestId, message) };
  },

  validate(body, requestId) {
    const invalid = (message: string): ErrorReply => ({
      status: 400,
      body: errorBody(400, requestId, message),
    });
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return invalid("The request body is not valid JSON.");
    }
    if (typeof body.model !== "string" || body.model === "")
      return invalid("model: Field required");
    if (typeof body.max_tokens !== "number") return invalid("max_tokens: Field required");
    if (!Array.isArray(body.messages)) return invalid("messages: Field required");
    if (body.messages.some((m: { role?: unknown } | null) => m?.role === "system")) {
      return invalid(
        'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.',
      );
    }
    return undefined;
  },

  errorReply(status, requestId, message, type) {
    return { status, body: errorBody(status, requestId, message, type) };
  },

  completion(turn) {
    return {
      id: ids.anthropicMessage(),
      type: "message",
      role: "assistant",
      model: turn.model,
      content: blocksOf(turn).map((block) =>
        block.type === "tool_use"
          ? {
              type: "tool_use",
              id: block.id,
              name: block.name,
              input: toolInput(block.argumentsJson),
            }
          : block,
      ),
      stop_reason: stopReasons[turn.finishReason],
      stop_sequence: null,
      usage: fullUsage(turn, turn.usage.completionTokens),
      ...turn.topLevel,
    };
  },

  streamFrames(turn) {
    const frames: string[] = [
      sseEvent("message_start", {
        type: "message_start",
        message: {
          id: ids.anthropicMessage(),
          type: "message",
          role: "assistant",
          model: turn.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: fullUsage(turn, 1),
        },
      }),
    ];
    blocksOf(turn).forEach((block, index) => {
      const [opening, deltas] = blockStream(block, turn.textChunkSize);
      frames.push(
        sseEvent("content_block_start", {
          type: "content_block_start",
          index,
          content_block: opening,
        }),
      );
      // The API sends a ping early in the stream, right after the first block opens.
      if (index === 0) frames.push(sseEvent("ping", { type: "ping" }));
      for (const body of deltas) {
        frames.push(
          sseEvent("content_block_delta", { type: "content_block_delta", index, delta: body }),
        );
      }
      frames.push(sseEvent("content_block_stop", { type: "content_block_stop", index }));
    });

    frames.push(
      sseEvent("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stopReasons[turn.finishReason], stop_sequence: null },
        usage: { ...usageCounts(turn), output_tokens: turn.usage.completionTokens },
      }),
      sseEvent("message_stop", { type: "message_stop" }),
    );
    return frames;
  },

  streamErrorFrame(requestId, message, type) {
    return sseEvent("error", errorBody(529, requestId, message, type));
  },

  models() {
    const data = scriptedModels.anthropic.map((id) => ({
      type: "model",
      id,
      display_name: id,
      created_at: "2025-09-29T00:00:00Z",
    }));
    return {
      data,
      has_more: false,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
    };
  },
};
