import { appendFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import * as z from "zod";
import { registerCatalogTools } from "./catalog.js";

/**
 * Appends one line to the file named by `FAULT_LOG`, if set. The file is how
 * a test sees what the server saw (e.g. a cancellation) without a side channel.
 */
function record(line: string): void {
  const file = process.env.FAULT_LOG;
  if (file) appendFileSync(file, `${line}\n`);
}

function text(value: unknown) {
  return { content: [{ type: "text" as const, text: JSON.stringify(value) }] };
}

/** Resolves after `ms`, or on abort with `false`. */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export interface FaultServerOptions {
  /**
   * Adds a tool without `inputSchema` (`no_input_schema`) to every
   * `tools/list`, so a client's handling of one invalid tool can be tested.
   */
  invalidTool?: boolean;
  /** Also serves this many generated business tools (see `registerCatalogTools`), for tool-search tests. */
  catalog?: number;
}

/** What the runnable script (or an in-process test) controls from outside the MCP session. */
export interface FaultServerControls {
  /** Ends every `hold` in progress, as `release` without a tag does. Returns how many ended. */
  releaseAll(): number;
  /** How many `hold` calls are waiting now. */
  holding(): number;
}

/** The tool the `invalidTool` option adds: MCP requires `inputSchema`, this one has none. */
const INVALID_TOOL = { name: "no_input_schema", description: "Declared without an inputSchema." };

/**
 * Wraps the server's `tools/list` handler, whenever the SDK installs it, so
 * the list also carries an invalid tool the SDK itself would never produce.
 */
function addInvalidTool(server: McpServer): void {
  type Handler = (request: unknown, extra: unknown) => Promise<unknown>;
  const inner = server.server as unknown as {
    setRequestHandler(schema: unknown, handler: Handler): void;
  };
  const setRequestHandler = inner.setRequestHandler.bind(inner);
  inner.setRequestHandler = (schema, handler) => {
    if (schema !== ListToolsRequestSchema) return setRequestHandler(schema, handler);
    return setRequestHandler(schema, async (request, extra) => {
      const result = (await handler(request, extra)) as { tools: unknown[] };
      return { ...result, tools: [...result.tools, INVALID_TOOL] };
    });
  };
}

/**
 * An MCP server that misbehaves on request, for testing clients: slow,
 * crashing, hanging and huge tools, a tool list that changes, calls that
 * hold until released, and a window on its own process (pid, environment).
 */
export function createFaultServer(options: FaultServerOptions = {}): McpServer {
  return createFaultServerWithControls(options).server;
}

/** `createFaultServer`, plus the controls a process-level script wires to a signal. */
export function createFaultServerWithControls(options: FaultServerOptions = {}): {
  server: McpServer;
  controls: FaultServerControls;
} {
  const server = new McpServer({ name: "aiproxy-faults", version: "0.1.0" });
  if (options.invalidTool) addInvalidTool(server);
  if (options.catalog) registerCatalogTools(server, options.catalog);
  const holds = new Map<string, Set<() => void>>();
  /** Tags released already: a hold that arrives after its release returns at once, whatever the order. */
  const released = new Set<string>();
  const releaseAll = (): number => {
    let released = 0;
    for (const waiters of holds.values()) {
      for (const wake of waiters) {
        wake();
        released++;
      }
    }
    holds.clear();
    return released;
  };

  server.registerTool(
    "sleep",
    {
      description: "Waits `ms` milliseconds, then returns its pid and start/end times (epoch ms).",
      inputSchema: { ms: z.number().int().min(0), tag: z.string().optional() },
    },
    async ({ ms, tag }, extra) => {
      const startedAt = Date.now();
      record(`started sleep ${tag ?? ""}`.trim());
      const finished = await wait(ms, extra.signal);
      if (!finished) {
        record(`cancelled sleep ${tag ?? ""}`.trim());
        return text({ cancelled: true });
      }
      return text({ pid: process.pid, tag, startedAt, endedAt: Date.now() });
    },
  );

  server.registerTool(
    "hold",
    {
      description:
        "Logs `held <tag>`, then waits until `release` names its tag (before or after) or releases all (or the script gets SIGUSR2); returns its pid and start/end times.",
      inputSchema: { tag: z.string() },
    },
    async ({ tag }, extra) => {
      const startedAt = Date.now();
      const ended = await new Promise<boolean>((resolve) => {
        if (released.has(tag)) {
          record(`held ${tag}`);
          return resolve(true);
        }
        const wake = () => {
          extra.signal.removeEventListener("abort", onAbort);
          resolve(true);
        };
        const onAbort = () => {
          holds.get(tag)?.delete(wake);
          resolve(false);
        };
        extra.signal.addEventListener("abort", onAbort, { once: true });
        const waiters = holds.get(tag) ?? new Set();
        holds.set(tag, waiters);
        waiters.add(wake);
        // Logged once the call is registered, so a test that sees the line can release it.
        record(`held ${tag}`);
      });
      if (!ended) {
        record(`cancelled hold ${tag}`);
        return text({ cancelled: true });
      }
      return text({ pid: process.pid, tag, startedAt, endedAt: Date.now() });
    },
  );

  server.registerTool(
    "release",
    {
      description:
        "Ends the holds with this tag, and any that come later (without a tag: every hold waiting now); returns how many ended now.",
      inputSchema: { tag: z.string().optional() },
    },
    async ({ tag }) => {
      if (tag === undefined) return text({ released: releaseAll() });
      released.add(tag);
      const waiters = holds.get(tag) ?? new Set();
      holds.delete(tag);
      for (const wake of waiters) wake();
      return text({ released: waiters.size });
    },
  );

  server.registerTool(
    "hang",
    { description: "Never answers; records `cancelled hang` when the client cancels it." },
    async (extra) => {
      await wait(2 ** 31 - 1, extra.signal);
      record("cancelled hang");
      return text({ cancelled: true });
    },
  );

  server.registerTool(
    "crash",
    {
      description: "Exits the process in the middle of the call, without answering.",
      inputSchema: { code: z.number().int().optional() },
    },
    async ({ code }) => {
      record(`crash ${process.pid}`);
      process.exit(code ?? 1);
    },
  );

  server.registerTool(
    "huge",
    {
      description: "Returns `bytes` characters of text.",
      inputSchema: { bytes: z.number().int().min(0) },
    },
    async ({ bytes }) => ({ content: [{ type: "text", text: "x".repeat(bytes) }] }),
  );

  let added = 0;
  server.registerTool(
    "add_tool",
    {
      description: "Registers a new tool (default `extra_<n>`), which sends tools/list_changed.",
      inputSchema: { name: z.string().optional() },
    },
    async ({ name }) => {
      const toolName = name ?? `extra_${++added}`;
      server.registerTool(toolName, { description: "Added at run time." }, async () =>
        text(toolName),
      );
      return text({ added: toolName });
    },
  );

  server.registerTool(
    "env",
    {
      description: "The value of an environment variable of this process, or null.",
      inputSchema: { name: z.string() },
    },
    async ({ name }) => text(process.env[name] ?? null),
  );

  server.registerTool("pid", { description: "This process's pid." }, async () => text(process.pid));

  server.registerTool(
    "fail",
    {
      description: "Answers with a tool error (`isError: true`).",
      inputSchema: { message: z.string().optional() },
    },
    async ({ message }) => ({
      content: [{ type: "text", text: message ?? "failed on purpose" }],
      isError: true,
    }),
  );

  const holding = () => [...holds.values()].reduce((sum, waiters) => sum + waiters.size, 0);
  return { server, controls: { releaseAll, holding } };
}
