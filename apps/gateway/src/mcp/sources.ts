import type { AssistantConfig } from "@aiproxy/config";
import type { Logger, ToolCallOptions, ToolInfo, Toolset } from "@aiproxy/core";
import type { McpSource, PromptSource, ResourceSource } from "@aiproxy/mcp-server";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Registry } from "../registry/registry.js";

const RESOURCE_SCHEME = "aiproxy://";

/** What one scope serves: every enabled server, or exactly one assistant's toolset. */
export interface Scope {
  servers(): string[];
  toolset(): Toolset;
}

const EMPTY: Toolset = {
  list: async () => [],
  call: async (name) => ({ content: `Unknown tool "${name}".`, isError: true }),
};

function enabledServers(registry: Registry): string[] {
  return Object.values(registry.config.mcp_servers)
    .filter((server) => server.enabled)
    .map((server) => server.name);
}

/**
 * `/mcp`: every enabled server, tools as `<server>__<tool>`; with `only`
 * (a key's grant), just those of them.
 */
export function allServers(registry: Registry, only?: readonly string[]): Scope {
  let cached: { servers: readonly string[]; key: string; toolset: Toolset } | undefined;
  const allowed = only && new Set(only);
  // A config change replaces the servers' record: until then the list is the same (one per call otherwise).
  let listed: { from: Registry["config"]["mcp_servers"]; servers: readonly string[] } | undefined;
  const enabled = (): readonly string[] => {
    const from = registry.config.mcp_servers;
    if (listed?.from !== from) {
      const all = enabledServers(registry);
      listed = { from, servers: allowed ? all.filter((server) => allowed.has(server)) : all };
    }
    return listed.servers;
  };
  return {
    servers: () => [...enabled()],
    toolset() {
      const servers = enabled();
      if (allowed && servers.length === 0) return EMPTY;
      if (cached?.servers !== servers) {
        const key = servers.join("\0");
        // The same servers after a change elsewhere in the config keep their toolset.
        const toolset =
          cached?.key === key ? cached.toolset : registry.fabric.toolset({ servers: [...servers] });
        cached = { servers, key, toolset };
      }
      return cached.toolset;
    },
  };
}

/** `/mcp/{assistant}`: what the assistant's model sees (allowlist, descriptions, pinned arguments, clipping). */
export function assistantScope(registry: Registry, name: string): Scope {
  let cached: { assistant: AssistantConfig; key: string; toolset: Toolset } | undefined;
  const servers = () => {
    const assistant = registry.config.assistants[name];
    if (!assistant) return [];
    return assistant.mcp_servers.filter((s) => registry.config.mcp_servers[s]?.enabled);
  };
  return {
    servers,
    toolset() {
      const assistant = registry.config.assistants[name];
      const enabled = servers();
      if (!assistant || enabled.length === 0) return EMPTY;
      const key = enabled.join("\0");
      if (cached?.assistant !== assistant || cached.key !== key)
        // The same options the registry gives the assistant's runs.
        cached = {
          assistant,
          key,
          toolset: registry.fabric.toolset({
            servers: enabled,
            allowlist: assistant.tool_allowlist,
            descriptions: assistant.tool_descriptions,
            pinnedArguments: assistant.tool_arguments,
            resultMaxChars: assistant.tool_result_max_chars,
            ...(assistant.tool_result_clip && { resultClip: assistant.tool_result_clip }),
          }),
        };
      return cached.toolset;
    },
  };
}

/** The server a namespaced name belongs to: the longest server name that prefixes it. */
function route(name: string, servers: string[]): { server: string; name: string } | undefined {
  const server = servers
    .filter((s) => name.startsWith(`${s}__`))
    .sort((a, b) => b.length - a.length)[0];
  return server === undefined ? undefined : { server, name: name.slice(server.length + 2) };
}

/** Runs `list` on each server; one that is down is left out of the answer, with the reason in the log. */
async function gather<T>(
  servers: string[],
  what: string,
  logger: Logger,
  list: (server: string) => Promise<T[]>,
): Promise<Array<{ server: string; item: T }>> {
  const lists = await Promise.all(
    servers.map((server) =>
      list(server).then(
        (items) => items.map((item) => ({ server, item })),
        (error: unknown) => {
          logger.warn(
            { server, err: error instanceof Error ? error.message : String(error) },
            `mcp endpoint: server left out of the ${what} list`,
          );
          return [];
        },
      ),
    ),
  );
  return lists.flat();
}

function prompts(registry: Registry, scope: Scope, logger: Logger): PromptSource {
  const fabric = registry.fabric;
  return {
    async list({ signal }) {
      const all = await gather(scope.servers(), "prompts", logger, (server) =>
        fabric.listPrompts(server, { signal }),
      );
      return all.map(({ server, item }) => ({ ...item, name: `${server}__${item.name}` }));
    },
    get(name, args, { signal }) {
      const target = route(name, scope.servers());
      if (!target)
        return Promise.reject(
          new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name.slice(0, 128)}`),
        );
      return fabric.getPrompt(target.server, target.name, args, { signal });
    },
  };
}

function resources(registry: Registry, scope: Scope, logger: Logger): ResourceSource {
  const fabric = registry.fabric;
  // A resource keeps its server's URI behind a prefix naming the server, so a read routes back.
  const wrap = (server: string, uri: string) => `${RESOURCE_SCHEME}${server}/${uri}`;
  return {
    async list({ signal }) {
      const all = await gather(scope.servers(), "resources", logger, (server) =>
        fabric.listResources(server, { signal }),
      );
      return all.map(({ server, item }) => ({
        ...item,
        uri: wrap(server, item.uri),
        name: `${server}__${item.name}`,
      }));
    },
    async templates({ signal }) {
      const all = await gather(scope.servers(), "resource templates", logger, (server) =>
        fabric.listResourceTemplates(server, { signal }),
      );
      return all.map(({ server, item }) => ({
        ...item,
        uriTemplate: wrap(server, item.uriTemplate),
        name: `${server}__${item.name}`,
      }));
    },
    async read(uri, { signal }) {
      const rest = uri.startsWith(RESOURCE_SCHEME) ? uri.slice(RESOURCE_SCHEME.length) : "";
      const slash = rest.indexOf("/");
      const server = slash > 0 ? rest.slice(0, slash) : "";
      if (!scope.servers().includes(server))
        throw new McpError(ErrorCode.InvalidParams, `Unknown resource: ${uri.slice(0, 256)}`);
      const inner = rest.slice(slash + 1);
      const result = await fabric.readResource(server, inner, { signal });
      return {
        ...result,
        contents: result.contents.map((content) => ({
          ...content,
          uri: wrap(server, content.uri),
        })),
      };
    },
  };
}

/** Logs the servers of a scope that a listing had to leave out (down, or breaker open), and why. */
function reportUnavailable(registry: Registry, scope: Scope, logger: Logger): void {
  for (const server of scope.servers()) {
    const status = registry.fabric.status(server);
    if (status && (status.state === "failed" || status.state === "breaker-open"))
      logger.warn(
        { server, state: status.state, reason: status.lastError },
        "mcp endpoint: server left out of the tool list",
      );
  }
}

/** Fires on every applied config change and every fabric tool change. */
function changes(registry: Registry): (listener: () => void) => () => void {
  return (listener) => {
    const offConfig = registry.onChange(listener);
    const offTools = registry.fabric.onToolsChanged(() => listener());
    return () => {
      offConfig();
      offTools();
    };
  };
}

/** What one new MCP session of `scope` serves. */
export function sourceFor(registry: Registry, scope: Scope, logger: Logger): McpSource {
  return {
    tools: {
      async list(options) {
        const tools: ToolInfo[] = await scope.toolset().list(options);
        reportUnavailable(registry, scope, logger);
        return tools;
      },
      // The fabric's toolset reads `onProgress` too, beyond core's ToolCallOptions.
      call: (name, args, options) =>
        scope.toolset().call(name, args, options as ToolCallOptions | undefined),
    },
    prompts: prompts(registry, scope, logger),
    resources: resources(registry, scope, logger),
    onChange: changes(registry),
  };
}
