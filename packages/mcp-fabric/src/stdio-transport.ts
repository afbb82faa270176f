import { type ChildProcess, spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { checkMessage } from "./check-message.js";
import { LineReader, type OversizedLine } from "./line-reader.js";
import { classifyOversized, type OversizedKind } from "./oversized.js";

/** JSON-RPC error code of the answer made up for a response too large to read (server-defined range). */
export const RESULT_TOO_LARGE = -32_090;
/** Each step of the close sequence (stdin closed, SIGTERM) gets this long before the next. */
const CLOSE_STEP_MS = 2_000;

export interface StdioTransportOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** The largest message read from the child, in bytes. */
  maxMessageBytes: number;
  /** A message over the cap was dropped; `kind` says whose request, if anyone's, it failed. */
  onOversized?: (info: { bytes: number; kind: OversizedKind }) => void;
}

/**
 * MCP over a child's stdin/stdout, one JSON message per line, like the
 * SDK's `StdioClientTransport` but with a cap per message instead of per
 * buffer: a response over the cap is skipped as it streams in and answered,
 * to its own request id only, with a `RESULT_TOO_LARGE` error, so the session
 * and every other call in flight carry on. (The SDK's reader throws and
 * closes the connection, failing every caller.)
 */
export class StdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];
  /** The child's stderr, available before `start()` so no early output is lost. */
  readonly stderr = new PassThrough();
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private readonly reader: LineReader;

  constructor(private readonly options: StdioTransportOptions) {
    this.reader = new LineReader({
      maxBytes: options.maxMessageBytes,
      onLine: (line) => this.receive(line),
      onOversized: (line) => this.oversized(line),
    });
  }

  /** The child's pid once started, until it is closed. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    if (this.child) throw new Error("StdioTransport already started");
    const { command, args, env, cwd } = this.options;
    const child = spawn(command, args, {
      env,
      stdio: ["pipe", "pipe", "pipe"],
      shell: false,
      windowsHide: true,
      ...(cwd !== undefined && { cwd }),
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("close", () => resolve()));
    child.stdout!.on("data", (chunk: Buffer) => this.reader.push(chunk));
    child.stdout!.on("error", (error) => this.onerror?.(error));
    child.stdin!.on("error", (error) => this.onerror?.(error));
    child.stderr!.pipe(this.stderr);
    child.once("close", () => {
      this.child = undefined;
      this.reader.clear();
      this.onclose?.();
    });
    return new Promise((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (error) => {
        reject(error);
        this.onerror?.(error);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed) return Promise.reject(new Error("Not connected"));
    // Messages sent in one event-loop turn (many concurrent calls) go out in one write, not one syscall each.
    if (!stdin.writableCorked) {
      stdin.cork();
      setImmediate(() => stdin.uncork());
    }
    return new Promise((resolve) => {
      if (stdin.write(`${JSON.stringify(message)}\n`)) resolve();
      else stdin.once("drain", resolve);
    });
  }

  /**
   * Closes stdin (the MCP way to ask a server to exit), then SIGTERM, then
   * SIGKILL, each after `CLOSE_STEP_MS`; resolves once the child has exited.
   */
  async close(): Promise<void> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) return;
    child.stdin?.end();
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      if (await settlesWithin(exited, CLOSE_STEP_MS)) return;
      child.kill(signal);
    }
    // The kernel reaps a SIGKILLed child at once; the bound only guards against the impossible.
    await settlesWithin(exited, CLOSE_STEP_MS);
  }

  private receive(line: string): void {
    let message: JSONRPCMessage;
    try {
      message = checkMessage(JSON.parse(line));
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.onmessage?.(message);
  }

  private oversized(line: OversizedLine): void {
    const limit = this.options.maxMessageBytes;
    const kind = classifyOversized(line);
    this.options.onOversized?.({ bytes: line.bytes, kind });
    if (kind.type === "response") {
      this.onmessage?.({
        jsonrpc: "2.0",
        id: kind.id,
        error: {
          code: RESULT_TOO_LARGE,
          message: `result larger than ${limit} bytes (${line.bytes} bytes)`,
          data: { limit, bytes: line.bytes },
        },
      });
      return;
    }
    if (kind.type === "unknown") {
      // Someone may be waiting on it and we cannot tell who: end the session rather than let them hang.
      this.onerror?.(new Error(`a message larger than ${limit} bytes could not be attributed`));
      void this.close();
    }
  }
}

/** Whether `promise` settles within `ms`; the timer does not keep the process alive. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return settled;
}
