import {
  abortError,
  type Logger,
  ServiceUnavailableError,
  type ToolResult,
  untilAborted,
} from "@aiproxy/core";
import { SseError } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { errorResult, toToolResult } from "./convert.js";
import { Session } from "./session.js";
import { RESULT_TOO_LARGE } from "./stdio-transport.js";
import type { SkippedTool } from "./tool-list-guard.js";
import { traceMeta, withTraceHeaders } from "./trace-context.js";
import type { McpServerSpec, McpServerState, McpServerStatus, McpToolDescriptor } from "./types.js";

export const DEFAULT_TIMEOUT_MS = 60_000;
/** For `initialize` and `tools/list`; the server's `timeoutMs` is about tool calls. */
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_TOOL_PAGES = 100;

export interface ConnectionSettings {
  logger: Logger;
  clientInfo: { name: string; version: string };
  maxResultChars: number;
  maxMessageBytes: number;
  initialDelayMs: number;
  maxDelayMs: number;
  breakerThreshold: number;
  breakerResetMs: number;
  /** Called after a server's tool list may have changed: refreshed after `list_changed`, or withheld by the breaker. */
  onToolsChanged?: (server: string) => void;
}

/** Options of one tool call. */
export interface CallToolOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** The server's `notifications/progress` for this call; each one also restarts its timeout. */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The transport itself failed (HTTP error, network, session gone), as
 * opposed to the server answering with an error: the session cannot be
 * trusted any more.
 */
function isTransportFailure(error: unknown): boolean {
  return (
    error instanceof StreamableHTTPError ||
    error instanceof SseError ||
    error instanceof TypeError ||
    (error instanceof Error &&
      // The SSE transport reports a failed POST with a plain Error.
      (error.message === "Not connected" || error.message.startsWith("Error POSTing to endpoint")))
  );
}

/**
 * One configured MCP server: a lazily started session shared by every
 * caller, restarted after a crash, with exponential backoff between failed
 * starts and a breaker after repeated failures.
 */
export class McpConnection {
  private state: McpServerState = "idle";
  private session: Session | undefined;
  private attempt: Promise<Session> | undefined;
  private attempts = 0;
  private failures = 0;
  private retryAt = 0;
  private lastError: string | undefined;
  private tools: McpToolDescriptor[] | undefined;
  private skippedTools: SkippedTool[] = [];
  private toolsRequest: Promise<McpToolDescriptor[]> | undefined;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private closing: Promise<void> | undefined;
  private stopDraining: (() => void) | undefined;
  /** Aborts a connection attempt in progress when the connection is closed. */
  private readonly lifetime = new AbortController();

  constructor(
    readonly spec: McpServerSpec,
    private readonly settings: ConnectionSettings,
  ) {}

  get timeoutMs(): number {
    return this.spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  status(): McpServerStatus {
    return {
      name: this.spec.name,
      transport: this.spec.transport,
      state: this.state,
      toolCount: this.tools?.length ?? 0,
      ...(this.skippedTools.length > 0 && {
        skippedTools: this.skippedTools.map((t) => ({ ...t })),
      }),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
      restarts: Math.max(0, this.attempts - 1),
      ...(this.session?.pid !== undefined && { pid: this.session.pid }),
    };
  }

  /** The tools the server offers, fetched once per session and again after `tools/list_changed`. */
  async listTools(signal?: AbortSignal): Promise<McpToolDescriptor[]> {
    const session = await this.ready(signal);
    if (this.tools && !this.toolsRequest) return this.tools;
    return untilAborted(this.fetchTools(session), signal);
  }

  /**
   * Calls a tool. Failures of any kind (the server's, a timeout, a crash, an
   * unavailable server) resolve with `isError: true`; only an abort rejects.
   */
  async callTool(
    tool: string,
    args: Record<string, unknown>,
    options: CallToolOptions = {},
  ): Promise<ToolResult> {
    const { signal } = options;
    const server = this.spec.name;
    this.inFlight++;
    try {
      let session: Session;
      try {
        session = await this.ready(signal);
      } catch (error) {
        if (signal?.aborted) throw abortError(signal);
        return errorResult(`MCP server "${server}" is unavailable: ${message(error)}`);
      }
      // A per-call controller, so the SDK's abort listener does not stay on the caller's signal.
      const call = new AbortController();
      const forward = () => call.abort(signal?.reason);
      signal?.addEventListener("abort", forward, { once: true });
      const timeout = options.timeoutMs ?? this.timeoutMs;
      try {
        const meta = traceMeta(options.headers);
        const params = {
          name: tool,
          arguments: args,
          ...(Object.keys(meta).length > 0 && { _meta: meta }),
        };
        const result = await withTraceHeaders(options.headers, () =>
          session.client.callTool(params, undefined, {
            signal: call.signal,
            timeout,
            ...(options.onProgress && {
              onprogress: options.onProgress,
              resetTimeoutOnProgress: true,
            }),
          }),
        );
        this.failures = 0;
        return toToolResult(
          result as Parameters<typeof toToolResult>[0],
          this.settings.maxResultChars,
        );
      } catch (error) {
        if (signal?.aborted) throw abortError(signal);
        return this.callFailure(session, tool, timeout, error);
      } finally {
        signal?.removeEventListener("abort", forward);
      }
    } finally {
      if (--this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Runs `request` on the live session (prompts, resources), starting it if needed. */
  async request<T>(
    request: (client: Session["client"], signal: AbortSignal | undefined) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const session = await this.ready(signal);
    return untilAborted(request(session.client, signal), signal);
  }

  /**
   * Closes the session. With `drainMs`, calls in flight get that long to
   * settle first, so replacing a server does not break them; a later close()
   * without it cuts the wait short.
   */
  close(options: { drainMs?: number } = {}): Promise<void> {
    if (!options.drainMs) this.stopDraining?.();
    this.closing ??= this.shutdown(options.drainMs ?? 0);
    return this.closing;
  }

  private async shutdown(drainMs: number): Promise<void> {
    this.closed = true;
    if (drainMs > 0 && this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.stopDraining = resolve;
        timer = setTimeout(resolve, drainMs);
      });
      clearTimeout(timer);
    }
    this.lifetime.abort(new ServiceUnavailableError({ message: "The MCP fabric was closed" }));
    await this.attempt?.catch(() => {});
    const session = this.session;
    this.session = undefined;
    this.tools = undefined;
    await session?.close();
    this.state = "idle";
  }

  private callFailure(session: Session, tool: string, timeout: number, error: unknown): ToolResult {
    const server = this.spec.name;
    if (error instanceof McpError && error.code === RESULT_TOO_LARGE) {
      const detail = error.message.replace(/^MCP error -?\d+: /, "");
      return errorResult(
        `Tool "${tool}" on MCP server "${server}" failed: ${detail}; the result was too large to read and was dropped.`,
      );
    }
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
      return errorResult(
        `Tool "${tool}" on MCP server "${server}" timed out after ${timeout} ms and was cancelled.`,
      );
    }
    if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) {
      const why = session.lastTransportError
        ? `after a transport error (${session.lastTransportError})`
        : "(it may have crashed)";
      return errorResult(
        `MCP server "${server}" closed the connection during the call to "${tool}" ${why}; it will be restarted on the next use.`,
      );
    }
    if (isTransportFailure(error)) {
      this.lost(session, `transport failure: ${message(error)}`);
      return errorResult(`MCP server "${server}" could not be reached: ${message(error)}`);
    }
    return errorResult(`Tool "${tool}" on MCP server "${server}" failed: ${message(error)}`);
  }

  /** The live session, starting one if needed; concurrent callers share one attempt. */
  private ready(signal?: AbortSignal): Promise<Session> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.closed) {
      return Promise.reject(new ServiceUnavailableError({ message: "The connection is closed" }));
    }
    if (this.session?.alive) return Promise.resolve(this.session);
    if (!this.attempt) {
      const wait = this.retryAt - Date.now();
      if (wait > 0) {
        const why =
          this.state === "breaker-open" ? "breaker open after repeated failures" : "restarting";
        return Promise.reject(
          new ServiceUnavailableError({
            message: `${why}; next attempt in ${Math.ceil(wait / 1000)} s`,
          }),
        );
      }
      this.attempt = this.start().finally(() => {
        this.attempt = undefined;
      });
    }
    return untilAborted(this.attempt, signal);
  }

  private async start(): Promise<Session> {
    const { logger, clientInfo } = this.settings;
    const server = this.spec.name;
    this.attempts++;
    this.state = "connecting";
    const session = new Session({
      spec: this.spec,
      clientInfo,
      logger,
      maxMessageBytes: this.settings.maxMessageBytes,
      onLost: (lost, reason) => this.lost(lost, reason),
    });
    try {
      await session.connect({ signal: this.lifetime.signal, timeoutMs: REQUEST_TIMEOUT_MS });
    } catch (error) {
      await session.close();
      if (this.closed) throw error;
      const reason = `failed to start: ${message(error)}`;
      // The child's stderr goes to the status and the log, not into what a model may read.
      this.fail(session.describeLoss(reason), { backoff: true });
      throw new ServiceUnavailableError({ message: reason, cause: error });
    }
    if (this.closed) {
      await session.close();
      throw new ServiceUnavailableError({ message: "The connection is closed" });
    }
    session.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      if (this.session !== session) return;
      logger.debug({ server }, "mcp tools/list_changed");
      this.fetchTools(session, true)
        .then(() => this.settings.onToolsChanged?.(server))
        .catch(() => {});
    });
    this.session = session;
    this.tools = undefined;
    this.state = "ready";
    logger.info({ server, pid: session.pid, restarts: this.attempts - 1 }, "mcp server connected");
    return session;
  }

  /** Fetches every page of tools; a refresh already running is shared. */
  private fetchTools(session: Session, force = false): Promise<McpToolDescriptor[]> {
    if (this.toolsRequest && !force) return this.toolsRequest;
    const skipped: SkippedTool[] = [];
    const request = (async () => {
      const tools: McpToolDescriptor[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_TOOL_PAGES; page++) {
        const result = await session.client.listTools(cursor === undefined ? {} : { cursor }, {
          timeout: REQUEST_TIMEOUT_MS,
        });
        skipped.push(...session.takeSkipped());
        for (const tool of result.tools) {
          tools.push({
            name: tool.name,
            ...(tool.description !== undefined && { description: tool.description }),
            inputSchema: tool.inputSchema as McpToolDescriptor["inputSchema"],
          });
        }
        cursor = result.nextCursor;
        if (!cursor) break;
      }
      return tools;
    })();
    this.toolsRequest = request;
    return request.then(
      (tools) => {
        if (this.toolsRequest === request) this.toolsRequest = undefined;
        if (this.session === session) {
          this.tools = tools;
          this.skippedTools = skipped;
          this.failures = 0;
          for (const { name, reason } of skipped) {
            this.settings.logger.warn(
              { server: this.spec.name, tool: name, reason },
              "mcp tool skipped: its definition is invalid",
            );
          }
        }
        return tools;
      },
      (error: unknown) => {
        if (this.toolsRequest === request) this.toolsRequest = undefined;
        if (isTransportFailure(error)) this.lost(session, `transport failure: ${message(error)}`);
        throw new ServiceUnavailableError({
          message: `tools/list failed: ${message(error)}`,
          cause: error,
        });
      },
    );
  }

  /** The current session ended without our asking: restart it on the next use. */
  private lost(session: Session, reason: string): void {
    if (this.session !== session) return;
    this.session = undefined;
    this.tools = undefined;
    void session.close();
    // A crash is restarted at once; only repeated crashes (no successful request between) back off.
    this.fail(reason, { backoff: false });
  }

  private fail(reason: string, { backoff }: { backoff: boolean }): void {
    const { logger, initialDelayMs, maxDelayMs, breakerThreshold, breakerResetMs } = this.settings;
    const server = this.spec.name;
    this.failures++;
    this.lastError = reason;
    if (this.failures >= breakerThreshold) {
      this.state = "breaker-open";
      this.retryAt = Date.now() + breakerResetMs;
      logger.error(
        { server, failures: this.failures, err: reason, retryInMs: breakerResetMs },
        "mcp server breaker open: its tools are withheld",
      );
      this.settings.onToolsChanged?.(server);
      return;
    }
    this.state = "failed";
    const delay = backoff ? Math.min(maxDelayMs, initialDelayMs * 2 ** (this.failures - 1)) : 0;
    this.retryAt = Date.now() + delay;
    logger.warn(
      { server, failures: this.failures, err: reason, retryInMs: delay },
      "mcp server failed",
    );
  }
}
