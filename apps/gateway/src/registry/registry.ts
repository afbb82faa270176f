import type {
  AiProxyConfig,
  AssistantConfig,
  BackendConfig,
  McpServerConfig,
} from "@aiproxy/config";
import {
  type LlmBackend,
  type Logger,
  ModelNotFoundError,
  ServiceUnavailableError,
  type Toolset,
} from "@aiproxy/core";
import { createMcpFabric, type McpFabric, type McpServerSpec } from "@aiproxy/mcp-fabric";
import { clip } from "../http/clip.js";
import type { ExchangeHooks } from "../telemetry/telemetry.js";
import { type BackendHandle, missingCredential, openBackend } from "./backends.js";
import { RefCounted } from "./ref-counted.js";

/** What one request needs of an assistant, held until `release()`. */
export interface AssistantLease {
  assistant: AssistantConfig;
  backend: LlmBackend;
  /** A two-model assistant's deciding backend (`tool_backend`), held with the lease. */
  toolBackend: LlmBackend | undefined;
  toolset: Toolset | undefined;
  release(): void;
}

export interface RegistryOptions {
  logger: Logger;
  fabric?: McpFabric;
  /** Each backend's exchange hooks (attempts, retries), by its config name: the gateway's metrics. */
  exchangeHooks?: (backend: string) => ExchangeHooks;
}

type Sections = Pick<AiProxyConfig, "backends" | "mcp_servers" | "assistants">;

/** A change worked out by `diff`, carried through `open`, `swap` and `dispose`. */
interface Plan {
  previous: AiProxyConfig;
  next: AiProxyConfig;
  backends: { upserted: string[]; removed: string[] };
  /** Backends not opened, with the reason. */
  unavailable: Map<string, string>;
  upsertedServers: string[];
  /** Servers to remove: gone from the config, or disabled (added by `open`). */
  removedServers: string[];
}

/**
 * The live assistants, backends and MCP servers. Changes are applied as a
 * whole new config, one at a time: what is new is started first (so a change
 * that cannot start leaves everything as it was), then swapped in at once,
 * then what was replaced is disposed once requests in flight let go of it.
 */
export class Registry {
  readonly fabric: McpFabric;
  private current: AiProxyConfig;
  private backends = new Map<string, RefCounted<BackendHandle>>();
  /** Backends not opened, with the reason (see missingCredential). */
  private unavailable = new Map<string, string>();
  private toolsets = new Map<string, Toolset | undefined>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly logger: Logger;
  private readonly exchangeHooks: ((backend: string) => ExchangeHooks) | undefined;
  private closed = false;
  private readonly changeListeners = new Set<() => void>();

  private constructor(config: AiProxyConfig, options: RegistryOptions) {
    this.current = { ...config, backends: {}, mcp_servers: {}, assistants: {} };
    this.logger = options.logger;
    this.exchangeHooks = options.exchangeHooks;
    this.fabric = options.fabric ?? createMcpFabric({ logger: options.logger });
  }

  static async open(config: AiProxyConfig, options: RegistryOptions): Promise<Registry> {
    const registry = new Registry(config, options);
    try {
      await registry.apply(config);
    } catch (error) {
      await registry.close();
      throw error;
    }
    return registry;
  }

  get config(): AiProxyConfig {
    return this.current;
  }

  /** Calls `listener` after each change goes live (the new `config` is readable then); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The assistants a client can call now: what `/v1/models` lists. */
  assistantNames(): string[] {
    return Object.keys(this.current.assistants).filter((name) => this.isListed(name));
  }

  /** Whether `/v1/models` lists the assistant: it exists and its backend is open. */
  isListed(name: string): boolean {
    const assistant = this.current.assistants[name];
    return (
      assistant !== undefined &&
      this.backends.has(assistant.backend) &&
      (assistant.tool_backend === undefined || this.backends.has(assistant.tool_backend))
    );
  }

  /** The assistant with its backend held; a ModelNotFoundError names where to look. */
  acquire(name: string): AssistantLease {
    const assistant = this.current.assistants[name];
    const entry = assistant && this.backends.get(assistant.backend);
    const toolName = assistant?.tool_backend;
    const toolEntry = toolName === undefined ? undefined : this.backends.get(toolName);
    const reason =
      assistant &&
      (this.unavailable.get(assistant.backend) ??
        (toolName === undefined ? undefined : this.unavailable.get(toolName)));
    if (reason)
      throw new ServiceUnavailableError({
        message: `The model '${clip(name)}' is unavailable: ${reason}`,
        param: "model",
      });
    if (!assistant || !entry || (toolName !== undefined && !toolEntry)) throw unknownModel(name);
    const { backend } = entry.acquire();
    const toolBackend = toolEntry?.acquire().backend;
    let released = false;
    return {
      assistant,
      backend,
      toolBackend,
      toolset: this.toolsets.get(name),
      release: () => {
        if (released) return;
        released = true;
        entry.release();
        toolEntry?.release();
      },
    };
  }

  /**
   * Applies `change(current)` once every earlier change is done. The result is
   * expected to be valid (the caller checked it); a backend that fails to
   * start rejects the change and keeps the current state.
   */
  update(change: (current: AiProxyConfig) => AiProxyConfig): Promise<AiProxyConfig> {
    const next = this.queue.then(() => {
      const target = change(this.current);
      return this.apply(target).then(() => target);
    });
    this.queue = next.catch(() => {});
    return next;
  }

  /** One change, in four steps: what differs, start the new, swap it in at once, dispose the old. */
  private async apply(next: Sections & AiProxyConfig): Promise<void> {
    if (this.closed) throw new Error("registry is closed");
    const plan = this.diff(next);
    const started = await this.open(plan);
    const retired = this.swap(plan, started);
    this.dispose(retired, plan.removedServers);
    for (const listener of this.changeListeners) {
      try {
        listener();
      } catch (error) {
        this.logger.warn({ err: String(error) }, "a config change listener failed");
      }
    }
  }

  /** What `next` changes: backends and servers to start or drop, backends lacking a credential. */
  private diff(next: AiProxyConfig): Plan {
    const previous = this.current;
    const unavailable = new Map<string, string>();
    for (const [name, backend] of Object.entries(next.backends)) {
      const reason = missingCredential(backend);
      if (reason) unavailable.set(name, reason);
    }
    const servers = changed(previous.mcp_servers, next.mcp_servers);
    return {
      previous,
      next,
      backends: changed(previous.backends, next.backends),
      unavailable,
      upsertedServers: servers.upserted,
      removedServers: [...servers.removed],
    };
  }

  /**
   * Starts what is new or changed, live state untouched: a backend that
   * fails to start rejects the change and stops the ones started before it.
   */
  private async open(plan: Plan): Promise<Map<string, RefCounted<BackendHandle>>> {
    const { next } = plan;
    const started = new Map<string, RefCounted<BackendHandle>>();
    try {
      for (const name of plan.backends.upserted) {
        if (plan.unavailable.has(name)) continue;
        const handle = await openBackend(
          next.backends[name] as BackendConfig,
          this.exchangeHooks?.(name),
        );
        started.set(name, new RefCounted(handle, (h) => this.disposeBackend(name, h)));
      }
    } catch (error) {
      for (const entry of started.values()) void entry.retire();
      throw error;
    }
    for (const name of plan.upsertedServers) {
      const server = next.mcp_servers[name] as McpServerConfig;
      if (server.enabled) await this.fabric.set(toSpec(server));
      else if (this.fabric.has(name)) plan.removedServers.push(name);
    }
    return started;
  }

  /** Makes the change live in one synchronous step; returns the backends it replaced. */
  private swap(
    plan: Plan,
    started: Map<string, RefCounted<BackendHandle>>,
  ): RefCounted<BackendHandle>[] {
    const { previous, next, unavailable, backends } = plan;
    const retired: RefCounted<BackendHandle>[] = [];
    for (const [name, entry] of started) {
      const old = this.backends.get(name);
      if (old) retired.push(old);
      this.backends.set(name, entry);
    }
    for (const name of [...backends.removed, ...unavailable.keys()]) {
      const old = this.backends.get(name);
      if (old) retired.push(old);
      this.backends.delete(name);
    }
    this.current = next;
    this.unavailable = unavailable;
    for (const [name, reason] of unavailable)
      if (!previous.backends[name] || backends.upserted.includes(name))
        this.logger.warn({ backend: name }, `${reason}: its assistants are unavailable`);
    this.toolsets = new Map(
      Object.values(next.assistants).map((a) => [a.name, this.toolsetFor(a, next)]),
    );
    return retired;
  }

  /**
   * Not awaited: what was replaced goes once its requests in flight are
   * done, which may take as long as a stream; the change is live already.
   */
  private dispose(retired: RefCounted<BackendHandle>[], removedServers: string[]): void {
    void Promise.all([
      ...retired.map((entry) => entry.retire()),
      ...removedServers.map((name) => this.fabric.remove(name)),
    ]).catch((error: unknown) =>
      this.logger.warn({ err: String(error) }, "disposing a replaced entry failed"),
    );
  }

  private toolsetFor(assistant: AssistantConfig, config: AiProxyConfig): Toolset | undefined {
    const servers = assistant.mcp_servers.filter((name) => config.mcp_servers[name]?.enabled);
    if (servers.length === 0) return undefined;
    return this.fabric.toolset({
      servers,
      allowlist: assistant.tool_allowlist,
      descriptions: assistant.tool_descriptions,
      pinnedArguments: assistant.tool_arguments,
      resultMaxChars: assistant.tool_result_max_chars,
      ...(assistant.tool_result_clip && { resultClip: assistant.tool_result_clip }),
    });
  }

  private async disposeBackend(name: string, handle: BackendHandle): Promise<void> {
    try {
      await handle.close();
    } catch (error) {
      this.logger.warn({ backend: name, err: String(error) }, "backend close failed");
    }
  }

  /** Disposes every backend and MCP server, waiting for nothing in flight. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const entries = [...this.backends.values()];
    this.backends.clear();
    await Promise.all([
      ...entries.map((entry) => entry.value.close().catch(() => {})),
      this.fabric.close(),
    ]);
  }
}

/** Names added or changed, and names removed, between two sections. */
function changed<T>(
  before: Record<string, T>,
  after: Record<string, T>,
): { upserted: string[]; removed: string[] } {
  const upserted = Object.keys(after).filter(
    (name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]),
  );
  const removed = Object.keys(before).filter((name) => !(name in after));
  return { upserted, removed };
}

function toSpec(server: McpServerConfig): McpServerSpec {
  const timeoutMs = server.timeout * 1000;
  if (server.transport === "stdio")
    return {
      name: server.name,
      transport: "stdio",
      command: server.command,
      args: server.args,
      env: server.env,
      cwd: server.cwd,
      timeoutMs,
    };
  return {
    name: server.name,
    transport: server.transport,
    url: server.url,
    headers: server.headers,
    timeoutMs,
  };
}

/** How a model that does not exist is answered (also one a caller's grant leaves out). */
export function unknownModel(name: string): ModelNotFoundError {
  return new ModelNotFoundError({
    message: `The model '${clip(name)}' does not exist; GET /v1/models lists the assistants`,
    param: "model",
  });
}
