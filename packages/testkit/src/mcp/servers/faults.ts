import { appendFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";

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

/**
 * An MCP server that misbehaves on request, for testing clients: slow,
 * crashing, hanging and huge tools, a tool list that changes, and a window
 * on its own process (pid, environment).
 */
export function createFaultServer(): McpServer {
  const server = new McpServer({ name: "aiproxy-faults", version: "0.1.0" });

  server.registerTool(
    "sleep",
    {
      description: "Waits `ms` milliseconds, then returns its pid and start/end times (epoch ms).",
      inputSchema: { ms: z.number().int().min(0), tag: z.string().optional() },
    },
    async ({ ms, tag }, extra) => {
      const startedAt = Date.now();
      const finished = await wait(ms, extra.signal);
      if (!finished) {
        record(`cancelled sleep ${tag ?? ""}`.trim());
        return text({ cancelled: true });
      }
      return text({ pid: process.pid, tag, startedAt, endedAt: Date.now() });
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

  return server;
}
