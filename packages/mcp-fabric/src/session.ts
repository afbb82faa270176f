import type { Logger } from "@aiproxy/core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { childEnvironment } from "./env.js";
import { StdioTransport } from "./stdio-transport.js";
import { type SkippedTool, ToolListGuard } from "./tool-list-guard.js";
import { traceFetch } from "./trace-context.js";
import type { McpServerSpec } from "./types.js";

/** How much of a child's stderr is kept to explain a failure. */
const STDERR_TAIL_CHARS = 2_000;
/** After the close sequence ends with SIGKILL, how long to wait for the exit to be reaped. */
const REAP_TIMEOUT_MS = 2_000;

export interface SessionInit {
  spec: McpServerSpec;
  clientInfo: { name: string; version: string };
  logger: Logger;
  /** The largest message read from a stdio server, in bytes. */
  maxMessageBytes: number;
  /** Called once when the connection ends for any reason but our own close(). */
  onLost: (session: Session, reason: string) => void;
}

function createTransport({ spec, maxMessageBytes, logger }: SessionInit): Transport {
  switch (spec.transport) {
    case "stdio":
      // Its stderr is piped, not inherited: a server's chatter must not land in the gateway's log stream.
      return new StdioTransport({
        command: spec.command,
        args: spec.args ?? [],
        env: childEnvironment(spec.env),
        ...(spec.cwd !== undefined && { cwd: spec.cwd }),
        maxMessageBytes,
        onOversized: ({ bytes, kind }) =>
          logger.warn(
            { server: spec.name, bytes, limit: maxMessageBytes, ...kind },
            "mcp message over the size cap dropped",
          ),
      });
    case "sse":
      return new SSEClientTransport(new URL(spec.url), {
        requestInit: { headers: spec.headers ?? {} },
        fetch: traceFetch,
      });
    case "streamable-http":
      return new StreamableHTTPClientTransport(new URL(spec.url), {
        requestInit: { headers: spec.headers ?? {} },
        fetch: traceFetch,
      });
  }
}

/**
 * One live MCP session: a connected SDK `Client` over one transport (for
 * stdio, one child process). It is never reconnected; the connection makes a
 * new one instead.
 */
export class Session {
  readonly client: Client;
  /** What the client talks to: the transport behind a guard on tool lists. */
  private readonly guard: ToolListGuard;
  readonly transport: Transport;
  pid: number | undefined;
  private skipped: SkippedTool[] = [];
  private stderrTail = "";
  private intentional = false;
  private ended = false;
  private closing: Promise<void> | undefined;
  private readonly exited: Promise<void>;

  constructor(private readonly init: SessionInit) {
    this.transport = createTransport(init);
    this.guard = new ToolListGuard(this.transport, (tools) => {
      this.skipped.push(...tools);
    });
    this.client = new Client(init.clientInfo, { capabilities: {} });
    let markExited!: () => void;
    this.exited = new Promise((resolve) => {
      markExited = resolve;
    });
    // For stdio the SDK reports close only once the child has exited and its pipes are closed.
    this.client.onclose = () => {
      this.ended = true;
      markExited();
      if (!this.intentional) init.onLost(this, this.describeLoss("the connection closed"));
    };
    this.client.onerror = (error) => {
      this.lastTransportError = error.message;
      init.logger.debug({ server: init.spec.name, err: error.message }, "mcp transport error");
    };
    if (this.transport instanceof StdioTransport) {
      this.transport.stderr.on("data", (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
      });
    }
  }

  /** What the transport last complained of, e.g. a line that is not JSON-RPC. */
  lastTransportError: string | undefined;

  /** Tools left out of the `tools/list` answers since the last call, with why. */
  takeSkipped(): SkippedTool[] {
    return this.skipped.splice(0);
  }

  get alive(): boolean {
    return !this.ended && !this.intentional;
  }

  /** `reason`, plus the tail of the child's stderr if it wrote any. */
  describeLoss(reason: string): string {
    const tail = this.stderrTail.trim();
    return tail ? `${reason}; stderr: ${tail.slice(-500)}` : reason;
  }

  async connect(options: { signal: AbortSignal; timeoutMs: number }): Promise<void> {
    await this.client.connect(this.guard, {
      signal: options.signal,
      timeout: options.timeoutMs,
    });
    if (this.transport instanceof StdioTransport) this.pid = this.transport.pid;
  }

  /**
   * Ends the session. For stdio the transport closes stdin, then sends
   * SIGTERM and SIGKILL two seconds apart and waits for the exit; should the
   * child still run, it is killed by pid once more.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.intentional = true;
    // Read before closing: the transport forgets the child once it has exited.
    if (this.transport instanceof StdioTransport) this.pid ??= this.transport.pid;
    if (this.transport instanceof StreamableHTTPClientTransport && this.transport.sessionId) {
      // Best effort: tells the server to drop the session now rather than on its own timeout.
      await this.transport.terminateSession().catch(() => {});
    }
    await this.client.close().catch((error: unknown) => {
      this.init.logger.debug({ server: this.init.spec.name, err: String(error) }, "mcp close");
    });
    if (this.pid === undefined || this.ended) return;
    try {
      process.kill(this.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exited,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, REAP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
  }
}
