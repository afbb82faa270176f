import {
  abortError,
  type Logger,
  NotFoundError,
  type ToolCallOptions,
  type ToolInfo,
  type ToolResult,
  type Toolset,
} from "@aiproxy/core";
import type { CallToolOptions } from "./connection.js";
import { clipResult, errorResult } from "./convert.js";
import type { McpFabric } from "./fabric.js";
import { exposedNames } from "./names.js";
import { withoutPinned } from "./schema.js";
import type { McpToolDescriptor, ToolsetOptions } from "./types.js";

interface Route {
  server: string;
  tool: string;
  pinned: Record<string, unknown>;
}

/**
 * A lookup keyed by exposed name that also accepts the raw `<server>__<tool>`,
 * so config written before sanitizing still applies.
 */
function lookup<T>(
  map: Record<string, T> | undefined,
  exposed: string,
  raw: string,
): T | undefined {
  if (!map) return undefined;
  return Object.hasOwn(map, exposed)
    ? map[exposed]
    : Object.hasOwn(map, raw)
      ? map[raw]
      : undefined;
}

/**
 * What one assistant sees: the tools of some servers under exposed names,
 * filtered, re-described and with pinned arguments. Routes are rebuilt by
 * every `list()`.
 */
export class McpToolset implements Toolset {
  private routes = new Map<string, Route>();
  private readonly allow: Set<string> | undefined;

  constructor(
    private readonly fabric: McpFabric,
    private readonly options: ToolsetOptions,
    private readonly logger: Logger,
  ) {
    this.allow = options.allowlist ? new Set(options.allowlist) : undefined;
  }

  /** Every available tool; a server that cannot be reached is left out (and logged), not fatal. */
  async list(options: ToolCallOptions = {}): Promise<ToolInfo[]> {
    const { signal } = options;
    const listed = await Promise.all(
      this.options.servers.map(async (server) => {
        try {
          return { server, tools: await this.fabric.listTools(server, { signal }) };
        } catch (error) {
          if (signal?.aborted) throw abortError(signal);
          // The connection logged its own failure when it happened; an unknown name is a config error.
          const level = NotFoundError.isInstance(error) ? "warn" : "debug";
          this.logger[level](
            { server, err: error instanceof Error ? error.message : String(error) },
            "mcp server left out of the tool list",
          );
          return { server, tools: [] as McpToolDescriptor[] };
        }
      }),
    );
    const all = listed.flatMap(({ server, tools }) => tools.map((tool) => ({ server, tool })));
    // Named over the whole list at once, so a name does not depend on which server answered first.
    const names = exposedNames(all.map(({ server, tool }) => ({ server, tool: tool.name })));
    const routes = new Map<string, Route>();
    const infos: ToolInfo[] = [];
    all.forEach(({ server, tool }, i) => {
      const raw = `${server}__${tool.name}`;
      const name = names[i]!;
      if (this.allow && !this.allow.has(name) && !this.allow.has(raw)) return;
      const pinned = lookup(this.options.pinnedArguments, name, raw) ?? {};
      const description = lookup(this.options.descriptions, name, raw) ?? tool.description;
      routes.set(name, { server, tool: tool.name, pinned });
      infos.push({
        name,
        ...(description !== undefined && { description }),
        inputSchema: withoutPinned(tool.inputSchema, pinned),
        server,
        tool: tool.name,
      });
    });
    this.routes = routes;
    return infos;
  }

  async call(
    name: string,
    args: Record<string, unknown>,
    options: ToolCallOptions & Pick<CallToolOptions, "onProgress"> = {},
  ): Promise<ToolResult> {
    const { signal, headers, onProgress } = options;
    if (signal?.aborted) throw abortError(signal);
    // A toolset called before it was listed, or for a tool added since, learns its routes first.
    if (!this.routes.has(name)) await this.list({ ...(signal && { signal }) });
    const route = this.routes.get(name);
    if (!route) return errorResult(`Unknown tool "${name}".`);
    const result = await this.fabric.callTool(
      route.server,
      route.tool,
      { ...args, ...route.pinned },
      { ...(signal && { signal }), ...(headers && { headers }), ...(onProgress && { onProgress }) },
    );
    const max = this.options.resultMaxChars;
    return max === undefined ? result : clipResult(result, max, this.options.resultClip);
  }
}
