import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
  ToolSchema,
} from "@modelcontextprotocol/sdk/types.js";

/** A tool a server listed that the fabric leaves out, and why. */
export interface SkippedTool {
  name: string;
  reason: string;
}

/** The issues of a failed parse on one line, e.g. `inputSchema: Invalid input: expected object`. */
function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}

/**
 * Sits between the SDK client and a transport and checks each tool of every
 * `tools/list` answer on its own, removing the invalid ones before the
 * client sees the list. The SDK validates the list as a whole, so one bad
 * tool would otherwise cost the server all of its tools.
 */
export class ToolListGuard implements Transport {
  onclose?: Transport["onclose"];
  onerror?: Transport["onerror"];
  onmessage?: Transport["onmessage"];
  /** Ids of our `tools/list` requests still waiting for an answer. */
  private readonly listRequests = new Set<RequestId>();

  constructor(
    readonly inner: Transport,
    private readonly onSkipped: (tools: SkippedTool[]) => void,
  ) {
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => {
      const filtered = this.filter(message);
      // The SDK runs a notification's handler a microtask late but settles a request at once, so
      // progress read in the same chunk as its response would be dropped: a response waits one turn.
      if ("id" in message && !("method" in message))
        queueMicrotask(() => this.onmessage?.(filtered, extra));
      else this.onmessage?.(filtered, extra);
    };
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    // The SDK client built the message: a request by shape (its isJSONRPCRequest is a schema parse).
    if ("method" in message && message.method === "tools/list" && "id" in message)
      this.listRequests.add(message.id);
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private filter<T extends JSONRPCMessage>(message: T): T {
    if (!("id" in message) || message.id === undefined) return message;
    if (!this.listRequests.delete(message.id) || !isJSONRPCResultResponse(message)) return message;
    const tools = (message.result as { tools?: unknown }).tools;
    if (!Array.isArray(tools)) return message;
    const kept: unknown[] = [];
    const skipped: SkippedTool[] = [];
    tools.forEach((tool, index) => {
      const parsed = ToolSchema.safeParse(tool);
      if (parsed.success) {
        kept.push(tool);
        return;
      }
      const name = (tool as { name?: unknown } | null)?.name;
      skipped.push({
        name: typeof name === "string" && name !== "" ? name : `(tool #${index + 1}, unnamed)`,
        reason: describeIssues(parsed.error.issues),
      });
    });
    if (skipped.length === 0) return message;
    this.onSkipped(skipped);
    return { ...message, result: { ...message.result, tools: kept } };
  }
}
