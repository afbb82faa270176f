import {
  AiProxyError,
  type Logger,
  type ToolCall,
  type ToolDefinition,
  type ToolInfo,
  type ToolMessage,
  type ToolResult,
  type Toolset,
  untilAborted,
} from "@aiproxy/core";
import type { AgentEvent, ToolCallSummary } from "./types.js";

/** What one run offers the model, and how a called name is routed back. */
export interface ToolCatalog {
  definitions: ToolDefinition[];
  mcp: Map<string, ToolInfo>;
  client: Set<string>;
}

/**
 * On a name clash the client's tool wins: the client will receive that call
 * and expects its own contract, while the assistant loses one tool for one
 * request. Offering both would send the provider duplicate names.
 */
export function buildCatalog(
  mcpTools: ToolInfo[],
  clientTools: ToolDefinition[],
  logger: Logger,
): ToolCatalog {
  const client = new Set(clientTools.map((t) => t.function.name));
  const mcp = new Map<string, ToolInfo>();
  const definitions: ToolDefinition[] = [];
  for (const info of mcpTools) {
    if (client.has(info.name)) {
      logger.warn({ tool: info.name }, "client tool shadows an MCP tool of the same name");
      continue;
    }
    mcp.set(info.name, info);
    definitions.push({
      type: "function",
      function: {
        name: info.name,
        ...(info.description !== undefined && { description: info.description }),
        parameters: info.inputSchema,
      },
    });
  }
  definitions.push(...clientTools);
  return { definitions, mcp, client };
}

export type RoutedCall =
  | { kind: "client"; call: ToolCall }
  | { kind: "mcp"; call: ToolCall; info: ToolInfo }
  | { kind: "unknown"; call: ToolCall };

export function routeCall(call: ToolCall, catalog: ToolCatalog): RoutedCall {
  const name = call.function.name;
  if (catalog.client.has(name)) return { kind: "client", call };
  const info = catalog.mcp.get(name);
  return info ? { kind: "mcp", call, info } : { kind: "unknown", call };
}

type ParsedArguments = { ok: true; args: Record<string, unknown> } | { ok: false; error: string };

/** Models send "" for a tool without parameters; anything else must be a JSON object. */
export function parseArguments(name: string, raw: string): ParsedArguments {
  if (raw.trim() === "") return { ok: true, args: {} };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : "parse error";
    return {
      ok: false,
      error: `Error: the arguments for tool "${name}" are not valid JSON (${reason}). Call it again with a JSON object.`,
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: `Error: the arguments for tool "${name}" must be a JSON object.` };
  }
  return { ok: true, args: value as Record<string, unknown> };
}

export interface ToolRound {
  messages: ToolMessage[];
  summaries: ToolCallSummary[];
}

interface RoundContext {
  step: number;
  toolset: Toolset | undefined;
  catalog: ToolCatalog;
  signal: AbortSignal;
  emit: (event: AgentEvent) => void;
  logger: Logger;
}

/**
 * Runs a step's calls concurrently. Results are emitted as they complete,
 * but the tool messages keep the order of the calls, as providers pair them
 * by position as well as by id.
 */
export async function runToolRound(calls: RoutedCall[], ctx: RoundContext): Promise<ToolRound> {
  const settled = calls.map((routed) => runOne(routed, ctx));
  const results = await untilAborted(Promise.all(settled), ctx.signal);
  return {
    messages: results.map((r) => r.message),
    summaries: results.map((r) => r.summary),
  };
}

async function runOne(
  routed: RoutedCall,
  ctx: RoundContext,
): Promise<{ message: ToolMessage; summary: ToolCallSummary }> {
  const { call } = routed;
  const name = call.function.name;
  const info = routed.kind === "mcp" ? routed.info : undefined;
  const origin = { server: info?.server, tool: info?.tool };
  const started = performance.now();
  const result = await execute(routed, ctx);
  const durationMs = Math.round(performance.now() - started);
  ctx.emit({
    type: "tool-result",
    step: ctx.step,
    callId: call.id,
    name,
    ...definedOnly(origin),
    result,
    durationMs,
    isError: result.isError,
  });
  const message: ToolMessage = { role: "tool", tool_call_id: call.id, content: result.content };
  if (result.isError) message.isError = true;
  return {
    message,
    summary: {
      callId: call.id,
      name,
      ...definedOnly(origin),
      client: false,
      isError: result.isError,
      durationMs,
    },
  };
}

async function execute(routed: RoutedCall, ctx: RoundContext): Promise<ToolResult> {
  const name = routed.call.function.name;
  if (routed.kind !== "mcp" || !ctx.toolset) {
    const available = ctx.catalog.definitions.map((d) => d.function.name).join(", ") || "none";
    return {
      isError: true,
      content: `Error: there is no tool named "${name}". Available tools: ${available}.`,
    };
  }
  const parsed = parseArguments(name, routed.call.function.arguments);
  if (!parsed.ok) return { isError: true, content: parsed.error };
  try {
    return await ctx.toolset.call(name, parsed.args, {
      signal: ctx.signal,
      callId: routed.call.id,
    });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    // A Toolset should resolve a tool's own failure; a rejection is still the
    // model's to see, but only in words we chose for a foreign error.
    const detail = AiProxyError.isInstance(error) ? error.message : "the tool failed unexpectedly";
    ctx.logger.warn({ tool: name, error: describe(error) }, "tool call rejected");
    return { isError: true, content: `Error: ${detail}` };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function emitToolCall(
  routed: RoutedCall,
  step: number,
  emit: (event: AgentEvent) => void,
): void {
  const { call } = routed;
  const info = routed.kind === "mcp" ? routed.info : undefined;
  emit({
    type: "tool-call",
    step,
    callId: call.id,
    name: call.function.name,
    ...definedOnly({ server: info?.server, tool: info?.tool }),
    arguments: call.function.arguments,
    client: false,
  });
}

export function definedOnly<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
