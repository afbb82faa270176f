import { ids } from "./ids.js";
import { type ResolvedTurn, splitArguments, splitText } from "./script.js";
import { type ErrorReply, maskKey, scriptedModels, sseData, type Wire } from "./wire.js";

/** OpenAI Chat Completions: `chat.completion`, `chat.completion.chunk` and `{ error }` bodies. */

const defaultErrors: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: "invalid_request_error", code: null, message: "Invalid request." },
  401: {
    type: "invalid_request_error",
    code: "invalid_api_key",
    message: "Incorrect API key provided.",
  },
  403: {
    type: "invalid_request_error",
    code: "unsupported_country_region_territory",
    message: "Country, region, or territory not supported.",
  },
  404: {
    type: "invalid_request_error",
    code: "model_not_found",
    message: "The model does not exist or you do not have access to it.",
  },
  429: {
    type: "requests",
    code: "rate_limit_exceeded",
    message: "Rate limit reached for requests per min (RPM). Please try again later.",
  },
  500: {
    type: "server_error",
    code: null,
    message: "The server had an error while processing your request. Sorry about that!",
  },
  503: {
    type: "server_error",
    code: null,
    message: "The engine is currently overloaded, please try again later.",
  },
};

function errorBody(status: number, message?: string, type?: string, param: string | null = null) {
  const fallback = defaultErrors[status] ?? defaultErrors[status >= 500 ? 500 : 400]!;
  return {
    error: {
      message: message ?? fallback.message,
      type: type ?? fallback.type,
      param,
      code: type ? null : fallback.code,
    },
  };
}

function usageOf(turn: ResolvedTurn) {
  const { usage } = turn;
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export const openaiWire: Wire = {
  name: "openai",
  baseHeaders: (requestId, elapsedMs) => ({
    "x-request-id": requestId,
    "openai-version": "2020-10-01",
    "openai-processing-ms": String(Math.round(elapsedMs)),
  }),
  newRequestId: ids.openaiRequest,
  newToolCallId: ids.openaiToolCall,

  authenticate(headers, requiredKey) {
    const match = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "");
    const key = match?.[1]?.trim();
    if (!key) {
      return {
        status: 401,
        body: errorBody(
          401,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          "invalid_request_error",
        ),
      };
    }
    if (key === requiredKey) return undefined;
    return {
      status: 401,
      body: errorBody(
        401,
        `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      ),
    };
  },

  validate(body) {
    const invalid = (message: string, param: string): ErrorReply => ({
      status: 400,
      body: errorBody(400, message, "invalid_request_error", param),
    });
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return invalid("We could not parse the JSON body of your request.", "body");
    }
    if (typeof body.model !== "string" || body.model === "") {
      return invalid("you must provide a model parameter", "model");
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return invalid("Missing required parameter: 'messages'.", "messages");
    }
    return undefined;
  },

  errorReply(status, _requestId, message, type) {
    return { status, body: errorBody(status, message, type) };
  },

  completion(turn, context) {
    const message: Record<string, unknown> = {
      role: "assistant",
      content: turn.text === "" && turn.toolCalls.length > 0 ? null : turn.text,
      refusal: null,
      annotations: [],
    };
    if (turn.reasoning) message.reasoning_content = turn.reasoning;
    if (turn.toolCalls.length > 0) {
      message.tool_calls = turn.toolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.argumentsJson },
      }));
    }
    return {
      id: ids.chatCompletion(),
      object: "chat.completion",
      created: context.created,
      model: turn.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: turn.finishReason }],
      usage: usageOf(turn),
      service_tier: "default",
      system_fingerprint: context.systemFingerprint,
      ...turn.topLevel,
    };
  },

  streamFrames(turn, context) {
    const id = ids.chatCompletion();
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
      id,
      object: "chat.completion.chunk",
      created: context.created,
      model: turn.model,
      service_tier: "default",
      system_fingerprint: context.systemFingerprint,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(context.includeUsage ? { usage: null } : {}),
    });

    const frames: string[] = [];
    const textFirst = turn.text !== "" || turn.toolCalls.length === 0;
    frames.push(
      sseData(chunk({ role: "assistant", content: textFirst ? "" : null, refusal: null })),
    );
    for (const piece of splitText(turn.reasoning ?? "", turn.textChunkSize)) {
      frames.push(sseData(chunk({ reasoning_content: piece })));
    }
    for (const piece of splitText(turn.text, turn.textChunkSize)) {
      frames.push(sseData(chunk({ content: piece })));
    }
    turn.toolCalls.forEach((call, index) => {
      // The first delta of a call names it; the arguments follow in pieces keyed by index only.
      frames.push(
        sseData(
          chunk({
            tool_calls: [
              {
                index,
                id: call.id,
                type: "function",
                function: { name: call.name, arguments: "" },
              },
            ],
          }),
        ),
      );
      for (const piece of splitArguments(call.argumentsJson, turn.textChunkSize)) {
        frames.push(sseData(chunk({ tool_calls: [{ index, function: { arguments: piece } }] })));
      }
    });
    frames.push(sseData(chunk({}, turn.finishReason)));
    if (context.includeUsage) {
      frames.push(sseData({ ...chunk({}), choices: [], usage: usageOf(turn) }));
    }
    frames.push("data: [DONE]\n\n");
    return frames;
  },

  streamErrorFrame(_requestId, message, type) {
    return sseData(errorBody(500, message, type));
  },

  models() {
    return {
      object: "list",
      data: scriptedModels.openai.map((id) => ({
        id,
        object: "model",
        created: 1_715_367_049,
        owned_by: "system",
      })),
    };
  },
};
