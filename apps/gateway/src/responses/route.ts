import type { AgentResult } from "@aiproxy/agent-loop";
import {
  type ResponseMcpListTools,
  type ResponseObject,
  type ResponseRequestFields,
  responsesId,
  toResponsesResponse,
} from "@aiproxy/agent-loop/responses";
import { type ChatMessage, InvalidRequestError, NotFoundError, type Toolset } from "@aiproxy/core";
import { type Context, Hono } from "hono";
import type { GatewayEnv } from "../env.js";
import { readJsonBody } from "../http/body.js";
import { clip } from "../http/clip.js";
import { withRequestId } from "../http/request-id.js";
import type { Registry } from "../registry/registry.js";
import type { RunService, RunSpec } from "../run/service.js";
import { approvalPolicy } from "./approval.js";
import { convertInput, type History, type StoredItem } from "./input.js";
import { ownerOf } from "./owner.js";
import { toParams } from "./params.js";
import { parseResponsesRequest, type ResponsesRequest } from "./request.js";
import type { ResponsesStore, StoredResponse } from "./store.js";
import { droppedToolTypes, type McpSelection, resolveTools, selectTools } from "./tools.js";

export interface ResponsesRouteOptions {
  registry: Registry;
  runs: RunService;
  store: ResponsesStore;
}

/** The header naming the request's tools the gateway dropped (see `resolveTools`). */
export const DROPPED_TOOLS_HEADER = "x-aiproxy-dropped-tools";

/**
 * OpenAI's Responses API, `model` = an assistant: `POST /` runs it,
 * `GET /:id`, `GET /:id/input_items` and `DELETE /:id` read and remove
 * stored responses, each visible only to the caller that created it.
 */
export function responsesRoutes(options: ResponsesRouteOptions): Hono<GatewayEnv> {
  const { store } = options;
  const app = new Hono<GatewayEnv>();
  app.post("/", (c) => createResponse(c, options));
  app.get("/:id", async (c) => c.json((await stored(c, store)).response));
  app.get("/:id/input_items", async (c) => c.json(inputItemsPage(c, await stored(c, store))));
  app.delete("/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await store.delete(id, owner(c), { signal: c.req.raw.signal }))) throw notFound(id);
    return c.json({ id, object: "response", deleted: true });
  });
  return app;
}

async function createResponse(c: Context<GatewayEnv>, options: ResponsesRouteOptions) {
  const { registry, runs, store } = options;
  const signal = c.req.raw.signal;
  const request = parseResponsesRequest(
    await readJsonBody(c.req.raw, { maxDepth: registry.config.server.max_json_depth }),
  );
  const callerId = owner(c);
  const previous = await previousResponse(request, store, callerId, signal);
  const input = convertInput(request.input, previous?.history);
  const history: History = previous?.history ?? { items: [], messages: [] };
  const conversation = [...history.messages, ...input.messages];
  if (conversation.length === 0)
    throw new InvalidRequestError({
      message: "Invalid request: input: the request has no input",
      param: "input",
    });
  const instructions: ChatMessage[] = request.instructions
    ? [{ role: "system", content: request.instructions }]
    : [];
  const stream = request.stream === true;
  const dropped = droppedToolTypes(request.tools);
  let selection: McpSelection[] | undefined;
  let toolset: Toolset | undefined;
  let namespaced: Map<string, { namespace: string; name: string }> | undefined;

  const { run, spec, requestId } = runs.start(c, {
    model: request.model,
    logMessage: "response",
    ...(dropped.length > 0 && { logFields: { droppedTools: dropped } }),
    build: (lease): RunSpec => {
      const tools = resolveTools(request.tools, lease.assistant, registry.config.mcp_servers);
      selection = tools.mcp;
      namespaced = tools.namespaced;
      toolset = selectTools(lease.toolset, selection);
      const approve = approvalPolicy(lease.assistant, selection);
      return {
        messages: [...instructions, ...conversation],
        clientTools: tools.clientTools,
        params: toParams(request),
        stream,
        ...(toolset && { toolset }),
        // Set even when nothing needs approval: it replaces the refusal other surfaces use.
        approve: approve ?? (() => "run"),
        ...(input.approvals && { approvals: input.approvals }),
      };
    },
  });

  const headers: Record<string, string> = { "x-request-id": requestId };
  if (dropped.length > 0) headers[DROPPED_TOOLS_HEADER] = dropped.join(",");
  const storeIt = request.store !== false;
  const ttlMs = registry.config.responses.ttl * 1000;
  return withRequestId(
    toResponsesResponse(run, {
      model: request.model,
      request: echoed(request, storeIt),
      stream,
      headers,
      id: responsesId("resp"),
      leadingItems: await listedTools(toolset, selection, history, signal),
      functionName: (offered) => namespaced?.get(offered),
      ...(storeIt && {
        onComplete: (response: ResponseObject, result: AgentResult) =>
          store.put(
            response.id,
            {
              response,
              input: input.items,
              history: {
                items: [...history.items, ...input.items, ...withHeldCalls(response, result)],
                messages: conversationOf(result, spec.messages, instructions.length),
              },
            },
            { owner: callerId, ttlMs, signal },
          ),
      }),
    }),
  );
}

/**
 * The run's transcript without the system prompt it may have put first and
 * the request's `instructions`: the conversation so far. (Answers to held
 * calls are spliced in where the calls were, so it is not the input plus
 * what came after.)
 */
function conversationOf(
  result: AgentResult,
  input: ChatMessage[],
  instructions: number,
): ChatMessage[] {
  const prepended = input.length > 0 && result.messages[0] !== input[0] ? 1 : 0;
  return result.messages.slice(prepended + instructions);
}

/**
 * The output items as stored: each `mcp_approval_request` (in the order the
 * run held the calls) also keeps its call's id, for the answer to name.
 */
function withHeldCalls(response: ResponseObject, result: AgentResult): StoredItem[] {
  const held = [...(result.held ?? [])];
  return response.output.map((item) =>
    item.type === "mcp_approval_request"
      ? { ...item, call_id: held.shift()?.callId ?? item.id }
      : (item as unknown as StoredItem),
  );
}

/**
 * One `mcp_list_tools` item per `mcp` tool of the request, as OpenAI puts
 * first in the output, unless the conversation already listed that server.
 */
async function listedTools(
  toolset: Toolset | undefined,
  selection: McpSelection[] | undefined,
  history: History,
  signal: AbortSignal,
): Promise<ResponseMcpListTools[]> {
  if (!toolset || !selection) return [];
  const listed = new Set(
    history.items.filter((i) => i.type === "mcp_list_tools").map((i) => i.server_label),
  );
  const servers = selection.map((s) => s.server).filter((s) => !listed.has(s));
  if (servers.length === 0) return [];
  // The run is under way: a listing that fails (the run lists its own tools
  // and reports) must not leave it running unanswered, so it lists nothing.
  const tools = await toolset.list({ signal }).catch(() => []);
  return servers.map((server) => ({
    id: responsesId("mcpl"),
    type: "mcp_list_tools",
    server_label: server,
    tools: tools
      .filter((t) => t.server === server)
      .map((t) => ({
        name: t.tool ?? t.name,
        ...(t.description !== undefined && { description: t.description }),
        input_schema: t.inputSchema,
        annotations: null,
      })),
    error: null,
  }));
}

function echoed(request: ResponsesRequest, store: boolean): ResponseRequestFields {
  return {
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: request.metadata ?? {},
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: {
      effort: request.reasoning?.effort ?? null,
      summary: request.reasoning?.summary ?? null,
    },
    store,
    temperature: request.temperature ?? null,
    text: { format: request.text?.format ?? { type: "text" } },
    tool_choice: request.tool_choice ?? "auto",
    tools: (request.tools ?? []).filter((t) => t.type === "function" || t.type === "mcp"),
    top_p: request.top_p ?? null,
    truncation: "disabled",
    user: request.user ?? null,
  };
}

async function previousResponse(
  request: ResponsesRequest,
  store: ResponsesStore,
  callerId: string,
  signal: AbortSignal,
): Promise<StoredResponse | undefined> {
  const id = request.previous_response_id;
  if (!id) return undefined;
  const found = await store.get(id, callerId, { signal });
  if (!found)
    throw new NotFoundError({
      message: `Previous response with id '${clip(id)}' not found.`,
      param: "previous_response_id",
    });
  return found;
}

async function stored(c: Context<GatewayEnv>, store: ResponsesStore): Promise<StoredResponse> {
  const id = c.req.param("id") ?? "";
  const found = await store.get(id, owner(c), { signal: c.req.raw.signal });
  if (!found) throw notFound(id);
  return found;
}

/** OpenAI's list page: `order` (default `desc`), `limit` (1-100, default 20), `after` an item id. */
function inputItemsPage(c: Context<GatewayEnv>, found: StoredResponse) {
  const order = c.req.query("order") ?? "desc";
  if (order !== "asc" && order !== "desc")
    throw new InvalidRequestError({ message: "order must be 'asc' or 'desc'", param: "order" });
  const limitText = c.req.query("limit") ?? "20";
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new InvalidRequestError({
      message: "limit must be an integer from 1 to 100",
      param: "limit",
    });
  const items = order === "asc" ? found.input : [...found.input].reverse();
  const after = c.req.query("after");
  const start = after ? items.findIndex((item) => item.id === after) + 1 : 0;
  if (after && start === 0)
    throw new InvalidRequestError({
      message: `No input item with id '${clip(after)}'`,
      param: "after",
    });
  const data = items.slice(start, start + limit);
  return {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < items.length,
  };
}

function owner(c: Context<GatewayEnv>): string {
  return ownerOf(c.get("caller"), c.req.raw);
}

function notFound(id: string): NotFoundError {
  return new NotFoundError({
    message: `No response found with id '${clip(id)}'.`,
    param: "response_id",
  });
}
