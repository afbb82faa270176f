import { toOpenAIRelayResponse, toOpenAIResponse } from "@aiproxy/agent-loop/openai";
import type { Context } from "hono";
import type { GatewayEnv } from "../env.js";
import { readJsonBody } from "../http/body.js";
import { withRequestId } from "../http/request-id.js";
import type { Registry } from "../registry/registry.js";
import type { RunService } from "../run/service.js";
import { parseChatRequest } from "./request.js";

export interface ChatRouteOptions {
  registry: Registry;
  runs: RunService;
}

/** `POST /v1/chat/completions`: one agent run per request, rendered in OpenAI's wire format. */
export function chatCompletions({ registry, runs }: ChatRouteOptions) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const request = parseChatRequest(
      await readJsonBody(c.req.raw, { maxDepth: registry.config.server.max_json_depth }),
    );
    const started = runs.startRelayable(
      c,
      {
        model: request.model,
        logMessage: "chat completion",
        build: () => ({
          messages: request.messages,
          clientTools: request.clientTools,
          params: request.params,
          stream: request.stream,
        }),
      },
      "openai-chat",
    );
    const rendering = {
      model: request.model,
      stream: request.stream,
      includeUsage: request.includeUsage,
      headers: { "x-request-id": started.requestId },
    };
    // An OpenAI backend and nothing to do but answer: its chunks are forwarded as they come.
    if (started.relay) return withRequestId(toOpenAIRelayResponse(started.relay, rendering));
    return withRequestId(
      toOpenAIResponse(started.run, {
        ...rendering,
        toolActivity: started.lease.assistant.tool_activity,
      }),
    );
  };
}
