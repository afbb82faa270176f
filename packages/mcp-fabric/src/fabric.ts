import {
  type Logger,
  NotFoundError,
  ServiceUnavailableError,
  silentLogger,
  type ToolResult,
  type Toolset,
} from "@aiproxy/core";
import { type ConnectionSettings, McpConnection } from "./connection.js";
import { errorResult } from "./convert.js";
import { McpToolset } from "./toolset.js";
import type {
  McpFabricOptions,
  McpServerSpec,
  McpServerStatus,
  McpToolDescriptor,
  ToolsetOptions,
} from "./types.js";

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
    options: { signal?: AbortSignal; timeoutMs?: number; headers?: Record<string, string> } = {},
  ): Promise<ToolResult> {
    const connection = this.connections.get(server);
    if (!connection) return Promise.resolve(errorResult(`Unknown MCP server "${server}".`));
    return connection.callTool(tool, args, options);
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
