import { toAnthropicResponse } from "@aiproxy/agent-loop/anthropic";
import type { ToolDefinition, ToolInfo } from "@aiproxy/core";
import type { Context } from "hono";
import type { GatewayEnv } from "../env.js";
import { acquireFor } from "../grants.js";
import { readJsonBody } from "../http/body.js";
import { withRequestId } from "../http/request-id.js";
import type { AssistantLease, Registry } from "../registry/registry.js";
import type { RunService } from "../run/service.js";
import { estimateTokens, forwardCountTokens } from "./count-tokens.js";
import {
  type MessagesRequest,
  parseCountTokensRequest,
  parseMessagesRequest,
  toCanonical,
} from "./request.js";

export interface MessagesRouteOptions {
  registry: Registry;
  runs: RunService;
}

/** `POST /v1/messages`: one agent run per request, rendered in Anthropic's wire format. */
export function messages({ registry, runs }: MessagesRouteOptions) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const request = parseMessagesRequest(await readBody(c, registry));
    const stream = request.stream === true;
    const { run, lease, requestId } = runs.start(c, {
      model: request.model,
      logMessage: "messages",
      build: (lease) => {
        const anthropicBackend = isAnthropic(registry, lease);
        const headers = anthropicBackend ? betaHeader(c, registry, lease) : undefined;
        return {
          ...toCanonical(request, { anthropicBackend }),
          ...(headers && { headers }),
          stream,
        };
      },
    });
    return withRequestId(
      toAnthropicResponse(run, {
        model: request.model,
        stream,
        toolActivity: lease.assistant.tool_activity,
        headers: { "x-request-id": requestId },
        requestId,
      }),
    );
  };
}

/**
 * `POST /v1/messages/count_tokens`: the backend's own count when it speaks
 * Anthropic's wire, otherwise an estimate (see `estimateTokens`). Either
 * way it counts what the run's first step would send: the assistant's
 * system prompt and MCP tools included.
 */
export function countTokens({ registry }: { registry: Registry }) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const body = await readBody(c, registry);
    const request = parseCountTokensRequest(body);
    const lease = acquireFor(registry, c.get("caller"), request.model);
    try {
      const signal = c.req.raw.signal;
      const { assistant } = lease;
      const backend = registry.config.backends[assistant.backend];
      const mcpTools = lease.toolset ? await lease.toolset.list({ signal }) : [];
      if (backend?.kind === "anthropic") {
        const headers = betaHeader(c, registry, lease);
        const count = await forwardCountTokens(
          backend,
          {
            body: body as Record<string, unknown>,
            model: assistant.model,
            systemPrompt: assistant.system_prompt,
            mcpTools,
            ...(headers && { headers }),
          },
          signal,
        );
        return c.json(count);
      }
      const count = await estimateTokens(estimateInput(request, lease, mcpTools));
      return c.json(count, 200, { "x-aiproxy-token-count": "estimate" });
    } finally {
      lease.release();
    }
  };
}

function estimateInput(request: MessagesRequest, lease: AssistantLease, mcpTools: ToolInfo[]) {
  const canonical = toCanonical(request, { anthropicBackend: false });
  const { assistant } = lease;
  const hasSystem = canonical.messages.some((m) => m.role === "system");
  const messages =
    assistant.system_prompt && !hasSystem
      ? [{ role: "system" as const, content: assistant.system_prompt }, ...canonical.messages]
      : canonical.messages;
  const tools: ToolDefinition[] = [
    ...mcpTools.map((tool) => ({
      type: "function" as const,
      function: {
        name: tool.name,
        ...(tool.description !== undefined && { description: tool.description }),
        parameters: tool.inputSchema,
      },
    })),
    ...(canonical.clientTools ?? []),
  ];
  return { model: assistant.model, messages, tools };
}

/**
 * The client's `anthropic-beta` features, for an Anthropic backend; the
 * backend's own (its `default_headers`) are kept beside them, since the
 * call's header replaces the default one.
 */
function betaHeader(
  c: Context<GatewayEnv>,
  registry: Registry,
  lease: AssistantLease,
): Record<string, string> | undefined {
  const client = c.req.header("anthropic-beta");
  if (!client) return undefined;
  const backend = registry.config.backends[lease.assistant.backend];
  const defaults: Record<string, string> =
    backend && "default_headers" in backend ? backend.default_headers : {};
  const own = Object.entries(defaults).find(([name]) => name.toLowerCase() === "anthropic-beta");
  const features = new Set(
    [own?.[1] ?? "", client]
      .flatMap((list) => list.split(",").map((f) => f.trim()))
      .filter(Boolean),
  );
  return { "anthropic-beta": [...features].join(",") };
}

function isAnthropic(registry: Registry, lease: AssistantLease): boolean {
  return registry.config.backends[lease.assistant.backend]?.kind === "anthropic";
}

function readBody(c: Context<GatewayEnv>, registry: Registry): Promise<unknown> {
  return readJsonBody(c.req.raw, { maxDepth: registry.config.server.max_json_depth });
}
