import {
  type Logger,
  NotFoundError,
  ServiceUnavailableError,
  silentLogger,
  type ToolResult,
  type Toolset,
} from "@aiproxy/core";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { type CallToolOptions, type ConnectionSettings, McpConnection } from "./connection.js";
import { errorResult } from "./convert.js";
import { McpToolset } from "./toolset.js";
import type {
  McpFabricOptions,
  McpPrompt,
  McpPromptResult,
  McpResource,
  McpResourceContents,
  McpResourceTemplate,
  McpServerSpec,
  McpServerStatus,
  McpToolDescriptor,
  ToolsetOptions,
} from "./types.js";

/** Pages of prompts or resources read at most from one server. */
const MAX_PAGES = 100;
/** Extra time a replaced connection's calls get beyond their own timeout, which bounds them anyway. */
const DRAIN_GRACE_MS = 1_000;
/** The same as the SDK's own stdio limit, which used to end the session instead. */
const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

function sameSpec(a: McpServerSpec, b: McpServerSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Every configured MCP server, each with one shared, self-healing session.
 * Servers connect on first use; `toolset()` gives an assistant its view.
 * Made by `createMcpFabric()`; the class is exported as a type only.
 */
export class McpFabric {
  private readonly connections = new Map<string, McpConnection>();
  /** Replaced or removed connections still draining; `close()` waits for them too. */
  private readonly retiring = new Map<McpConnection, Promise<void>>();
  private readonly settings: ConnectionSettings;
  private readonly logger: Logger;
  private readonly toolsListeners = new Set<(server: string) => void>();
  private closed = false;

  constructor(options: McpFabricOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.settings = {
      logger: this.logger,
      clientInfo: options.clientInfo ?? { name: "aiproxy", version: "0.1.0" },
      maxResultChars: options.maxResultChars ?? 1_000_000,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      initialDelayMs: options.restart?.initialDelayMs ?? 500,
      maxDelayMs: options.restart?.maxDelayMs ?? 30_000,
      breakerThreshold: options.restart?.breakerThreshold ?? 5,
      breakerResetMs: options.restart?.breakerResetMs ?? 60_000,
      onToolsChanged: (server) => {
        for (const listener of this.toolsListeners) listener(server);
      },
    };
  }

  /**
   * Adds or replaces a server. Calls made after `set()` use the new spec at
   * once. A replaced connection is closed in the background once its calls in
   * flight settle (they end by their own timeout at the latest), so they are
   * not broken; `close()` waits for it. Setting an identical spec keeps the
   * running connection.
   */
  async set(spec: McpServerSpec): Promise<void> {
    if (this.closed) throw new ServiceUnavailableError({ message: "The MCP fabric is closed" });
    const old = this.connections.get(spec.name);
    if (old && sameSpec(old.spec, spec)) return;
    this.connections.set(spec.name, new McpConnection(structuredClone(spec), this.settings));
    if (old) void this.retire(old);
  }

  /**
   * Removes a server; resolves once its connection is closed. Calls in flight
   * settle first, so this can take up to the server's `timeoutMs`.
   */
  async remove(name: string): Promise<void> {
    const old = this.connections.get(name);
    if (!old) return;
    this.connections.delete(name);
    await this.retire(old);
  }

  has(name: string): boolean {
    return this.connections.has(name);
  }

  names(): string[] {
    return [...this.connections.keys()];
  }

  /** The server's tools. Connects lazily; concurrent callers share one attempt. Rejects if unavailable. */
  listTools(server: string, options: { signal?: AbortSignal } = {}): Promise<McpToolDescriptor[]> {
    const connection = this.connections.get(server);
    if (!connection) {
      return Promise.reject(new NotFoundError({ message: `Unknown MCP server "${server}"` }));
    }
    return connection.listTools(options.signal);
  }

  /** Calls a tool; every failure is an `isError` result, only an abort rejects. */
  callTool(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    options: CallToolOptions = {},
  ): Promise<ToolResult> {
    const connection = this.connections.get(server);
    if (!connection) return Promise.resolve(errorResult(`Unknown MCP server "${server}".`));
    return connection.callTool(tool, args, options);
  }

  /**
   * Calls `listener` with a server's name when its tool list may have
   * changed (a `tools/list_changed` was fetched, or the breaker withheld it).
   * Returns the unsubscribe.
   */
  onToolsChanged(listener: (server: string) => void): () => void {
    this.toolsListeners.add(listener);
    return () => this.toolsListeners.delete(listener);
  }

  /** The server's prompts (every page); none when it does not offer prompts. Rejects if unavailable. */
  listPrompts(server: string, options: { signal?: AbortSignal } = {}): Promise<McpPrompt[]> {
    return this.request(server, options.signal, async (client, signal) => {
      if (!client.getServerCapabilities()?.prompts) return [];
      const prompts: McpPrompt[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await client.listPrompts(cursor === undefined ? {} : { cursor }, { signal });
        prompts.push(...result.prompts);
        cursor = result.nextCursor;
        if (!cursor) break;
      }
      return prompts;
    });
  }

  getPrompt(
    server: string,
    name: string,
    args: Record<string, string>,
    options: { signal?: AbortSignal } = {},
  ): Promise<McpPromptResult> {
    return this.request(server, options.signal, (client, signal) =>
      client.getPrompt({ name, arguments: args }, { signal }),
    );
  }

  /** The server's resources (every page); none when it does not offer resources. */
  listResources(server: string, options: { signal?: AbortSignal } = {}): Promise<McpResource[]> {
    return this.request(server, options.signal, async (client, signal) => {
      if (!client.getServerCapabilities()?.resources) return [];
      const resources: McpResource[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await client.listResources(cursor === undefined ? {} : { cursor }, {
          signal,
        });
        resources.push(...result.resources);
        cursor = result.nextCursor;
        if (!cursor) break;
      }
      return resources;
    });
  }

  listResourceTemplates(
    server: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<McpResourceTemplate[]> {
    return this.request(server, options.signal, async (client, signal) => {
      if (!client.getServerCapabilities()?.resources) return [];
      return (await client.listResourceTemplates({}, { signal })).resourceTemplates;
    });
  }

  readResource(
    server: string,
    uri: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<McpResourceContents> {
    return this.request(server, options.signal, (client, signal) =>
      client.readResource({ uri }, { signal }),
    );
  }

  private request<T>(
    server: string,
    signal: AbortSignal | undefined,
    run: (client: Client, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const connection = this.connections.get(server);
    if (!connection) {
      return Promise.reject(new NotFoundError({ message: `Unknown MCP server "${server}"` }));
    }
    return connection.request(run, signal);
  }

  status(): McpServerStatus[];
  status(name: string): McpServerStatus | undefined;
  status(name?: string): McpServerStatus[] | McpServerStatus | undefined {
    if (name !== undefined) return this.connections.get(name)?.status();
    return [...this.connections.values()].map((connection) => connection.status());
  }

  /** An assistant's view of some servers; it looks servers up at call time, so `set()` takes effect. */
  toolset(options: ToolsetOptions): Toolset {
    return new McpToolset(this, options, this.logger);
  }

  /** Closes every connection; no child process outlives the returned promise. */
  async close(): Promise<void> {
    this.closed = true;
    const open = [...this.connections.values(), ...this.retiring.keys()];
    this.connections.clear();
    // Closing again without a drain cuts short the wait of connections being retired.
    await Promise.all(open.map((connection) => connection.close()));
    await Promise.all(this.retiring.values());
  }

  private retire(connection: McpConnection): Promise<void> {
    const closing = connection
      .close({ drainMs: connection.timeoutMs + DRAIN_GRACE_MS })
      .catch((error: unknown) => {
        this.logger.warn({ server: connection.spec.name, err: String(error) }, "mcp close failed");
      })
      .finally(() => this.retiring.delete(connection));
    this.retiring.set(connection, closing);
    return closing;
  }
}

/** The fabric: no server is started until it is first used. Close it with `close()`. */
export function createMcpFabric(options?: McpFabricOptions): McpFabric {
  return new McpFabric(options);
}
