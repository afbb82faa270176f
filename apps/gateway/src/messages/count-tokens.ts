import type { BackendConfig } from "@aiproxy/config";
import {
  type ChatMessage,
  contentText,
  exchangeJson,
  resolveExchange,
  type ToolDefinition,
  type ToolInfo,
  UpstreamError,
} from "@aiproxy/core";

export interface TokenCount {
  input_tokens: number;
}

export interface CountTokensInput {
  /** The provider's model id. */
  model: string;
  /** With the assistant's system prompt, as the run would send them. */
  messages: ChatMessage[];
  /** The client's tools and the assistant's MCP tools, as the run would offer them. */
  tools: ToolDefinition[];
}

type AnthropicBackendConfig = Extract<BackendConfig, { kind: "anthropic" }>;

export interface ForwardInput {
  /** The client's body as it came: it is already Anthropic's wire. */
  body: Record<string, unknown>;
  /** The provider's model id. */
  model: string;
  /** Sent as `system` when the client sent none, as the run would. */
  systemPrompt: string | undefined;
  /** Added to the client's tools, as the run offers them. */
  mcpTools: ToolInfo[];
  /** The client's `anthropic-beta`, as the run sends it. */
  headers?: Record<string, string>;
}

/**
 * Anthropic's own count: the client's request as the run's first step would
 * send it (the provider's model, the assistant's system prompt and MCP
 * tools), posted to the backend's `/messages/count_tokens`.
 */
export async function forwardCountTokens(
  backend: AnthropicBackendConfig,
  input: ForwardInput,
  signal: AbortSignal,
): Promise<TokenCount> {
  const body: Record<string, unknown> = { ...input.body, model: input.model };
  delete body.max_tokens;
  delete body.stream;
  if (body.system == null && input.systemPrompt) body.system = input.systemPrompt;
  if (input.mcpTools.length > 0)
    body.tools = [
      ...(Array.isArray(body.tools) ? body.tools : []),
      ...input.mcpTools.map((tool) => ({
        name: tool.name,
        ...(tool.description !== undefined && { description: tool.description }),
        input_schema: { type: "object", ...tool.inputSchema },
      })),
    ];
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "anthropic-version": backend.anthropic_version ?? "2023-06-01",
    ...backend.default_headers,
    ...input.headers,
  };
  if (backend.api_key) headers["x-api-key"] = backend.api_key;
  const base = (backend.base_url ?? "https://api.anthropic.com/v1").replace(/\/+$/, "");
  const config = resolveExchange(`${base}/messages/count_tokens`, headers, backend.api_key, {
    timeoutMs: backend.timeout * 1000,
    connectTimeoutMs: backend.connect_timeout * 1000,
    maxRetries: backend.max_retries,
    defaultHeaders: backend.default_headers,
  });
  return exchangeJson(
    config,
    JSON.stringify(body),
    (json, status) => {
      if (typeof json.input_tokens !== "number")
        throw new UpstreamError({
          upstreamStatus: status,
          message: "The upstream's count_tokens answer has no input_tokens",
        });
      return { input_tokens: json.input_tokens };
    },
    { signal },
  );
}

/** Tokens an image costs at most (Anthropic: width * height / 750, about 1,600 for a large one). */
const IMAGE_TOKENS = 1600;
/** Role and separator tokens around each message. */
const MESSAGE_OVERHEAD = 4;

/**
 * An estimate for a backend that cannot count: the text of every message,
 * tool call and tool definition through gpt-tokenizer's o200k_base encoding
 * (OpenAI's, not Claude's tokenizer, so expect a difference of some tens of
 * percent), plus a flat cost per image and per message. The encoder is
 * loaded on first use, so it costs nothing to a gateway that never counts.
 */
export async function estimateTokens(input: CountTokensInput): Promise<TokenCount> {
  const { countTokens } = await import("gpt-tokenizer");
  let images = 0;
  const texts: string[] = [];
  for (const message of input.messages) {
    const content = message.content;
    texts.push(contentText(content));
    if (Array.isArray(content))
      images += content.filter((part) => part.type === "image_url").length;
    if (message.role === "assistant")
      for (const call of message.tool_calls ?? [])
        texts.push(call.function.name, call.function.arguments);
  }
  for (const tool of input.tools) texts.push(JSON.stringify(tool.function));
  const text = texts.filter(Boolean).join("\n");
  return {
    input_tokens:
      countTokens(text) + images * IMAGE_TOKENS + input.messages.length * MESSAGE_OVERHEAD,
  };
}
