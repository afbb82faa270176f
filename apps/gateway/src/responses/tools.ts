import type { AssistantConfig, McpServerConfig } from "@aiproxy/config";
import {
  InvalidRequestError,
  type ToolDefinition,
  type ToolInfo,
  type Toolset,
} from "@aiproxy/core";
import * as z from "zod";
import { clip } from "../http/clip.js";
import { type RawTool, zodError } from "./request.js";

const functionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must match ^[A-Za-z0-9_-]{1,64}$"),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

/** Codex's group of function tools; each is offered as `<namespace>__<name>`. */
const namespaceTool = z.looseObject({
  type: z.literal("namespace"),
  name: z.string().min(1),
  tools: z.array(z.looseObject({ type: z.string() })).default([]),
});

const toolFilter = z.looseObject({
  tool_names: z.array(z.string()).nullish(),
  read_only: z.boolean().nullish(),
});

const mcpTool = z.looseObject({
  type: z.literal("mcp"),
  server_label: z.string().min(1),
  server_url: z.string().nullish(),
  connector_id: z.string().nullish(),
  allowed_tools: z
    .union([
      z.array(z.string()),
      z.looseObject({
        tool_names: z.array(z.string()).nullish(),
        read_only: z.boolean().nullish(),
      }),
    ])
    .nullish(),
  require_approval: z
    .union([
      z.enum(["always", "never"]),
      z.looseObject({ always: toolFilter.nullish(), never: toolFilter.nullish() }),
    ])
    .nullish(),
});

/** One `mcp` tool of the request, resolved against the assistant's MCP servers. */
export interface McpSelection {
  /** The MCP server's config name, which is the `server_label`. */
  server: string;
  /** Tool names (the server's own) the request allows; undefined: all of them. */
  allowed?: Set<string>;
  /**
   * The request's `require_approval`: `always` or `never` for every tool of
   * the server, or the server's own tool names that need it (`always`) and
   * that do not (`never`); a tool named in neither needs none.
   */
  requireApproval?: "always" | "never" | { always: Set<string>; never: Set<string> };
}

export interface ResolvedTools {
  clientTools: ToolDefinition[] | undefined;
  /** Undefined when the request names no `mcp` tool: the assistant's MCP tools all apply. */
  mcp: McpSelection[] | undefined;
  /** Types of tools the gateway cannot run, left out (`x-aiproxy-dropped-tools`). */
  dropped: string[];
  /** A flattened namespace tool's offered name -> its namespace and own name, for `function_call` items. */
  namespaced: Map<string, { namespace: string; name: string }>;
}

/**
 * The request's `tools`, by the gateway's rule:
 * - `function` tools are the client's own: a call to one ends the response
 *   with a `function_call` item.
 * - A `namespace` tool (Codex) is a group of the client's function tools:
 *   each is offered as `<namespace>__<name>`, and a call to one is a
 *   `function_call` item with its own `name` and the `namespace`. Its other
 *   tools, and a flattened name the providers would refuse (over 64
 *   characters), are left out.
 * - `mcp` tools must name, as `server_label`, an MCP server configured for
 *   this assistant; `allowed_tools` narrows its tools. A `server_url` is
 *   never fetched: it is refused unless it is that server's configured URL.
 *   With any `mcp` tool in the request, only the named servers' tools are
 *   offered; with none, all of the assistant's.
 * - Every other type (`web_search`, `file_search`, `code_interpreter`,
 *   `computer_use_preview`, `image_generation`, `local_shell`, `custom`,
 *   ...) is a hosted or client-specific tool the gateway
 *   cannot run: it is dropped, not refused, and named in the response's
 *   `x-aiproxy-dropped-tools` header and the run's log line.
 */
export function resolveTools(
  tools: RawTool[] | null | undefined,
  assistant: AssistantConfig,
  servers: Record<string, McpServerConfig>,
): ResolvedTools {
  const clientTools: ToolDefinition[] = [];
  let mcp: McpSelection[] | undefined;
  const dropped: string[] = [];
  const namespaced = new Map<string, { namespace: string; name: string }>();
  const addFunction = (tool: RawTool, param: string, namespace?: string) => {
    const parsed = functionTool.safeParse(tool);
    if (!parsed.success) throw zodError(parsed.error, param);
    const { name, description, parameters, strict } = parsed.data;
    const offered = namespace ? `${namespace}__${name}` : name;
    if (namespace) {
      // A name the providers would refuse is left out, like a hosted tool.
      if (!OFFERED_NAME.test(offered)) return false;
      namespaced.set(offered, { namespace, name });
    }
    clientTools.push({
      type: "function",
      function: {
        name: offered,
        ...(description != null && { description }),
        parameters: parameters ?? { type: "object", properties: {} },
        ...(strict != null && { strict }),
      },
    } as ToolDefinition);
    return true;
  };
  (tools ?? []).forEach((tool, index) => {
    const param = `tools[${index}]`;
    if (tool.type === "function") {
      addFunction(tool, param);
    } else if (tool.type === "namespace") {
      const parsed = namespaceTool.safeParse(tool);
      if (!parsed.success) throw zodError(parsed.error, param);
      const { name: namespace, tools: inner } = parsed.data;
      inner.forEach((t, n) => {
        if (t.type === "function") addFunction(t, `${param}.tools[${n}]`, namespace);
      });
    } else if (tool.type === "mcp") {
      const parsed = mcpTool.safeParse(tool);
      if (!parsed.success) throw zodError(parsed.error, param);
      mcp ??= [];
      mcp.push(mcpSelection(parsed.data, param, assistant, servers));
    } else if (!dropped.includes(tool.type)) {
      dropped.push(tool.type);
    }
  });
  return {
    clientTools: clientTools.length > 0 ? clientTools : undefined,
    mcp,
    dropped,
    namespaced,
  };
}

function mcpSelection(
  tool: z.output<typeof mcpTool>,
  param: string,
  assistant: AssistantConfig,
  servers: Record<string, McpServerConfig>,
): McpSelection {
  const label = tool.server_label;
  const server = servers[label];
  if (!assistant.mcp_servers.includes(label) || !server)
    throw new InvalidRequestError({
      message: `Invalid request: ${param}.server_label: '${clip(label)}' is not an MCP server of assistant '${assistant.name}'${assistant.mcp_servers.length > 0 ? ` (its servers: ${assistant.mcp_servers.join(", ")})` : " (it has none)"}`,
      param: `${param}.server_label`,
    });
  if (tool.connector_id != null)
    throw new InvalidRequestError({
      message: `Invalid request: ${param}.connector_id: connectors are not supported; name a configured MCP server as server_label`,
      param: `${param}.connector_id`,
    });
  if (tool.server_url != null) {
    const configured = server.transport === "stdio" ? undefined : server.url;
    if (!configured || sameUrl(configured, tool.server_url) === false)
      throw new InvalidRequestError({
        message: `Invalid request: ${param}.server_url: the gateway only uses MCP servers its admin configured and never fetches a URL from a request; leave server_url out and name the server as server_label`,
        param: `${param}.server_url`,
      });
  }
  const names = Array.isArray(tool.allowed_tools)
    ? tool.allowed_tools
    : (tool.allowed_tools?.tool_names ?? undefined);
  return {
    server: label,
    ...(names && { allowed: new Set(names) }),
    ...(tool.require_approval != null && {
      requireApproval:
        typeof tool.require_approval === "string"
          ? tool.require_approval
          : {
              always: new Set(tool.require_approval.always?.tool_names ?? []),
              never: new Set(tool.require_approval.never?.tool_names ?? []),
            },
    }),
  };
}

function sameUrl(a: string, b: string): boolean {
  const normalize = (url: string) => url.replace(/\/+$/, "");
  return normalize(a) === normalize(b);
}

/** Whether the selection offers a tool of the assistant's toolset. */
export function isSelected(info: ToolInfo, selection: McpSelection[]): boolean {
  return selection.some(
    (s) => info.server === s.server && (!s.allowed || s.allowed.has(info.tool ?? info.name)),
  );
}

/** The assistant's toolset, narrowed to what the request's `mcp` tools select. */
export function selectTools(
  toolset: Toolset | undefined,
  selection: McpSelection[] | undefined,
): Toolset | undefined {
  if (!toolset || !selection) return toolset;
  return {
    async list(options) {
      return (await toolset.list(options)).filter((info) => isSelected(info, selection));
    },
    call: (name, args, options) => toolset.call(name, args, options),
  };
}

const KEPT_TYPES = new Set(["function", "mcp", "namespace"]);
const OFFERED_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The types `resolveTools` drops, in request order, each once. */
export function droppedToolTypes(tools: RawTool[] | null | undefined): string[] {
  const out: string[] = [];
  for (const tool of tools ?? [])
    if (!KEPT_TYPES.has(tool.type) && !out.includes(tool.type)) out.push(tool.type);
  return out;
}
