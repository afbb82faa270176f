import { type AgentResult, type AgentRun, runAgent } from "@aiproxy/agent-loop";
import { toOpenAIResponse } from "@aiproxy/agent-loop/openai";
import { AiProxyError, type Logger } from "@aiproxy/core";
import type { Context } from "hono";
import { readJsonBody } from "../http/body.js";
import type { AssistantLease, Registry } from "../registry/registry.js";
import { type ChatRequest, parseChatRequest } from "./request.js";

export interface ChatRouteOptions {
  registry: Registry;
  logger: Logger;
}

/** `POST /v1/chat/completions`: one agent run per request, rendered in OpenAI's wire format. */
export function chatCompletions({ registry, logger }: ChatRouteOptions) {
  return async (c: Context): Promise<Response> => {
    const started = performance.now();
    const request = parseChatRequest(
      await readJsonBody(c.req.raw, { maxDepth: registry.config.server.max_json_depth }),
    );
    const lease = registry.acquire(request.model);
    const { assistant } = lease;
    let run: AgentRun;
    try {
      // Aborts on a client disconnect before the first byte or for a non-streamed request.
      run = startRun(lease, request, c.req.raw.signal, logger);
    } catch (error) {
      lease.release();
      throw error;
    }

    const requestId = c.get("requestId") as string | undefined;
    run.result.then(
      (result) => logRun(logger, "info", { requestId, assistant: assistant.name, started, result }),
      (error: unknown) =>
        logRun(logger, AiProxyError.isInstance(error) && error.status < 500 ? "info" : "warn", {
          requestId,
          assistant: assistant.name,
          started,
          error,
        }),
    );
    // The lease ends with the run, streamed or not, so a replaced backend is
    // disposed only after its last request.
    run.result.then(lease.release, lease.release);

    return toOpenAIResponse(run, {
      model: request.model,
      stream: request.stream,
      includeUsage: request.includeUsage,
      toolActivity: assistant.tool_activity,
      headers: requestId ? { "x-request-id": requestId } : undefined,
    });
  };
}

function startRun(
  lease: AssistantLease,
  request: ChatRequest,
  signal: AbortSignal,
  logger: Logger,
): AgentRun {
  const { assistant } = lease;
  return runAgent({
    backend: lease.backend,
    model: assistant.model,
    messages: request.messages,
    systemPrompt: assistant.system_prompt,
    toolset: lease.toolset,
    clientTools: request.clientTools,
    params: request.params,
    defaultParams: assistant.params,
    extraBody: assistant.extra_body,
    maxToolIterations: assistant.max_tool_iterations,
    streaming: request.stream,
    signal,
    logger,
  });
}

interface RunLog {
  requestId: string | undefined;
  assistant: string;
  started: number;
  result?: AgentResult;
  error?: unknown;
}

function logRun(logger: Logger, level: "info" | "warn", entry: RunLog): void {
  const { result, error } = entry;
  logger[level](
    {
      requestId: entry.requestId,
      assistant: entry.assistant,
      latencyMs: Math.round(performance.now() - entry.started),
      ...(result && {
        steps: result.steps.length,
        toolCalls: result.steps.flatMap((step) =>
          step.toolCalls.map((call) => ({
            name: call.name,
            ...(call.isError !== undefined && { isError: call.isError }),
            ...(call.durationMs !== undefined && { durationMs: Math.round(call.durationMs) }),
          })),
        ),
        finishReason: result.finishReason,
        usage: result.usage,
      }),
      ...(error !== undefined && {
        error: AiProxyError.isInstance(error)
          ? { code: error.code, status: error.status, message: error.message }
          : { message: "internal error" },
      }),
    },
    "chat completion",
  );
}
