import { createAnthropicBackend } from "@aiproxy/backend-anthropic";
import { createOpenAIBackend } from "@aiproxy/backend-openai";
import type { BackendConfig } from "@aiproxy/config";
import type { LlmBackend } from "@aiproxy/core";
import type { ExchangeHooks } from "../telemetry/telemetry.js";

export interface BackendHandle {
  backend: LlmBackend;
  /** Releases what the backend holds: pooled sockets, the demo model's server. */
  close(): Promise<void>;
}

const seconds = (value: number) => value * 1000;

const HOSTED = ["api.openai.com", "api.anthropic.com"];

/**
 * Why a backend cannot work as configured, if it cannot: a hosted API with
 * no key. Such a backend is not opened, so an example config can list
 * providers that light up once their key is set.
 */
export function missingCredential(config: BackendConfig): string | undefined {
  if (config.kind === "demo" || config.api_key) return undefined;
  const host = new URL(config.base_url).hostname;
  return HOSTED.includes(host) ? `backend '${config.name}' has no api_key for ${host}` : undefined;
}

/** A live backend for one `backends` entry. */
export async function openBackend(
  config: BackendConfig,
  hooks: ExchangeHooks = {},
): Promise<BackendHandle> {
  const exchange = {
    ...hooks,
    timeoutMs: seconds(config.timeout),
    connectTimeoutMs: seconds(config.connect_timeout),
    maxRetries: config.max_retries,
    maxResponseBytes: config.max_response_bytes,
    maxEventBytes: config.max_event_bytes,
  };
  switch (config.kind) {
    case "openai":
      return closable(
        createOpenAIBackend({
          ...exchange,
          baseUrl: config.base_url,
          apiKey: config.api_key,
          defaultHeaders: config.default_headers,
        }),
      );
    case "anthropic":
      return closable(
        createAnthropicBackend({
          ...exchange,
          baseUrl: config.base_url,
          apiKey: config.api_key,
          defaultHeaders: config.default_headers,
          anthropicVersion: config.anthropic_version,
          defaultMaxTokens: config.default_max_tokens,
        }),
      );
    case "demo": {
      // The no-API-key demo: a scripted model on loopback, spoken to over the
      // real OpenAI wire so the demo exercises the same path as production.
      // Loaded here: the demo package brings an MCP server with it, which a
      // gateway without a demo backend should not hold in memory.
      const { startDemoModel } = await import("@aiproxy/demo");
      const model = await startDemoModel();
      const backend = createOpenAIBackend({ ...exchange, baseUrl: model.openaiBaseUrl });
      return {
        backend,
        close: async () => {
          await backend.close?.();
          await model.close();
        },
      };
    }
  }
}

function closable(backend: LlmBackend): BackendHandle {
  return { backend, close: async () => backend.close?.() };
}
