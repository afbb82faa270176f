import type { GenerationParams } from "@aiproxy/core";
import { describe, expectTypeOf, it } from "vitest";
import type {
  AdminConfig,
  AiProxyConfig,
  ApimanConfig,
  AssistantConfig,
  AssistantParams,
  BackendConfig,
  McpServerConfig,
  ServerConfig,
} from "../src/index.js";

/*
 * The normalized output types, written out once more on purpose: the
 * gateway codes against exactly these shapes, so a schema change that alters
 * them must fail here (tsc checks this file).
 */

type ExpectedServer = {
  host: string;
  port: number;
  cors_origins: string[];
  request_timeout: number;
  shutdown_grace: number;
  body_limit_bytes: number;
  max_json_depth: number;
};

type ExpectedAdmin = { api_key?: string; allow_stdio?: boolean; persist_path?: string };

type ExpectedApiman =
  | {
      mode: "gateway_probe";
      gateway_url: string;
      probe_api?: string;
      probe_path?: string;
      api_key_header: string;
      cache_ttl: number;
      cache_max_entries: number;
      timeout: number;
    }
  | { mode: "trusted_header"; header: string; secret: string };

type ExpectedExchange = {
  name: string;
  timeout: number;
  connect_timeout: number;
  max_retries: number;
  max_response_bytes: number;
  max_event_bytes: number;
};

type ExpectedBackend =
  | (ExpectedExchange & {
      kind: "openai";
      base_url: string;
      api_key?: string;
      default_headers: Record<string, string>;
    })
  | (ExpectedExchange & {
      kind: "anthropic";
      base_url: string;
      api_key?: string;
      default_headers: Record<string, string>;
      anthropic_version?: string;
      default_max_tokens?: number;
    })
  | (ExpectedExchange & { kind: "demo" });

type ExpectedMcpServer =
  | {
      name: string;
      description?: string;
      transport: "stdio";
      command: string;
      args: string[];
      env: Record<string, string>;
      cwd?: string;
      timeout: number;
      enabled: boolean;
    }
  | {
      name: string;
      description?: string;
      transport: "sse" | "streamable-http";
      url: string;
      headers: Record<string, string>;
      timeout: number;
      enabled: boolean;
    };

type ExpectedAssistant = {
  name: string;
  description?: string;
  backend: string;
  model: string;
  system_prompt?: string;
  mcp_servers: string[];
  max_tool_iterations: number;
  params: AssistantParams;
  extra_body: Record<string, unknown>;
  tool_allowlist?: string[];
  tool_descriptions: Record<string, string>;
  tool_arguments: Record<string, Record<string, unknown>>;
  tool_result_max_chars?: number;
  tool_result_clip?: "head" | "balanced";
  tool_activity: boolean;
  tool_backend?: string;
  tool_model?: string;
  tool_confidence?: number;
  tool_context?: "turn" | "full";
  tool_max_rounds?: number;
  tool_fallback?: { tool: string; arguments: Record<string, unknown> };
  expose_tool_results?: boolean;
  tool_loading?: "all" | "deferred";
  always_loaded?: string[];
  tool_approval?: { always: string[] };
};

/** Mutual assignability: what a reader of the type can rely on, whatever its spelling. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe("normalized output types", () => {
  it("are the documented shapes", () => {
    expectTypeOf<ServerConfig>().toEqualTypeOf<ExpectedServer>();
    expectTypeOf<AdminConfig>().toEqualTypeOf<ExpectedAdmin>();
    expectTypeOf<ApimanConfig>().toEqualTypeOf<ExpectedApiman>();
    expectTypeOf<Same<BackendConfig, ExpectedBackend>>().toEqualTypeOf<true>();
    expectTypeOf<AssistantConfig>().toEqualTypeOf<ExpectedAssistant>();
    expectTypeOf<
      Same<
        AiProxyConfig,
        {
          server: ExpectedServer;
          admin: ExpectedAdmin;
          proxy_api_keys: string[];
          api_key_grants: Array<{ key: string; assistants?: string[]; mcp_servers?: string[] }>;
          apiman?: ExpectedApiman;
          responses: { ttl: number; max_stored: number };
          telemetry: {
            metrics: { enabled: boolean; api_key?: string };
            traces: {
              otlp_endpoint?: string;
              service_name?: string;
              capture_message_content?: boolean;
            };
          };
          state: {
            store: "file" | "redis";
            redis_url?: string;
            key_prefix: string;
            resync_interval: number;
          };
          mcp_endpoint: {
            session_idle_timeout: number;
            max_sessions: number;
            max_message_size: number;
          };
          backends: Record<string, ExpectedBackend>;
          mcp_servers: Record<string, ExpectedMcpServer>;
          assistants: Record<string, ExpectedAssistant>;
        }
      >
    >().toEqualTypeOf<true>();
    expectTypeOf<Same<AiProxyConfig, { server: ExpectedServer }>>().toEqualTypeOf<false>();
  });

  it("backends are a union on kind, kind-specific fields in their branch", () => {
    expectTypeOf<BackendConfig["kind"]>().toEqualTypeOf<"openai" | "anthropic" | "demo">();
    expectTypeOf<Extract<BackendConfig, { kind: "demo" }>>().not.toHaveProperty("api_key");
    expectTypeOf<Extract<BackendConfig, { kind: "openai" }>>().not.toHaveProperty(
      "anthropic_version",
    );
  });

  it("MCP servers are a union on transport", () => {
    expectTypeOf<Same<McpServerConfig, ExpectedMcpServer>>().toEqualTypeOf<true>();
    expectTypeOf<Extract<McpServerConfig, { transport: "stdio" }>>().toEqualTypeOf<
      Extract<ExpectedMcpServer, { transport: "stdio" }>
    >();
    expectTypeOf<McpServerConfig["transport"]>().toEqualTypeOf<
      "stdio" | "sse" | "streamable-http"
    >();
  });

  it("params fit core's GenerationParams", () => {
    expectTypeOf<AssistantParams>().toMatchTypeOf<GenerationParams>();
  });
});
