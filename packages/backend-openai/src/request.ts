import {
  type AssistantMessage,
  type ChatMessage,
  type ImagePart,
  type LlmRequest,
  SAMPLING_PARAM_KEYS,
  type ToolMessage,
} from "@aiproxy/core";
import type { OpenAIChatRequest, OpenAIMessageParam } from "./wire.js";

export interface ToOpenAIRequestOptions {
  /** Ask for a stream, with usage in its last chunk. */
  stream?: boolean;
}

/**
 * Parameters copied to the body as they are. `n` is left out on purpose:
 * a completion carries one message, so further choices would be paid for
 * and thrown away.
 */
const PASS_THROUGH = SAMPLING_PARAM_KEYS;

/** The Chat Completions body for a canonical request. Pure; `extraBody` is merged last. */
export function toOpenAIRequest(
  request: LlmRequest,
  options: ToOpenAIRequestOptions = {},
): OpenAIChatRequest {
  const body: OpenAIChatRequest = { model: request.model, messages: toMessages(request.messages) };
  const params = request.params ?? {};
  for (const key of PASS_THROUGH) {
    if (params[key] !== undefined) (body as Record<string, unknown>)[key] = params[key];
  }
  if (request.tools && request.tools.length > 0) {
    // `providerData` belongs to other adapters and is never sent.
    body.tools = request.tools.map(({ providerData: _ignored, ...tool }) => tool);
    // OpenAI rejects both fields in a request without tools.
    if (params.tool_choice !== undefined) body.tool_choice = params.tool_choice;
    if (params.parallel_tool_calls !== undefined) {
      body.parallel_tool_calls = params.parallel_tool_calls;
    }
  }
  if (options.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return Object.assign(body, request.extraBody);
}

function toMessages(messages: ChatMessage[]): OpenAIMessageParam[] {
  const out: OpenAIMessageParam[] = [];
  // Images returned by a run of tool messages, sent after the run (see toolMessage).
  let pendingImages: ImagePart[] = [];
  const flushImages = () => {
    if (pendingImages.length === 0) return;
    out.push({
      role: "user",
      content: [
        { type: "text", text: "Images returned by the tool calls above:" },
        ...pendingImages,
      ],
    });
    pendingImages = [];
  };
  for (const message of messages) {
    if (message.role !== "tool") flushImages();
    switch (message.role) {
      case "assistant":
        out.push(assistantMessage(message));
        break;
      case "tool":
        out.push(toolMessage(message, pendingImages));
        break;
      default: {
        const { providerData: _ignored, ...rest } = message;
        out.push(rest);
      }
    }
  }
  flushImages();
  return out;
}

/** `providerData` belongs to other adapters and is never sent; `content` is null beside tool calls. */
function assistantMessage(message: AssistantMessage): OpenAIMessageParam {
  const { providerData: _ignored, ...rest } = message;
  const out: Omit<AssistantMessage, "providerData"> = { ...rest };
  if (out.tool_calls?.length === 0) delete out.tool_calls;
  if (out.refusal == null) delete out.refusal;
  if (out.content === "" && out.tool_calls) out.content = null;
  return out;
}

/**
 * Chat Completions tool messages carry text only, and every tool message
 * must directly follow its assistant turn, so image parts are collected into
 * `images` and sent as one user message after the run of tool messages.
 * `isError` has no wire equivalent; the tool's text already says what failed.
 */
function toolMessage(message: ToolMessage, images: ImagePart[]): OpenAIMessageParam {
  if (typeof message.content === "string") {
    return { role: "tool", tool_call_id: message.tool_call_id, content: message.content };
  }
  // Plain text rather than text parts: many compatible servers accept only a string here.
  const texts: string[] = [];
  for (const part of message.content) {
    if (part.type === "text") texts.push(part.text);
    else images.push(part);
  }
  return { role: "tool", tool_call_id: message.tool_call_id, content: texts.join("\n") };
}
