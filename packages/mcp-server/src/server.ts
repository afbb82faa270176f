import type { Logger, ToolInfo, ToolResult } from "@aiproxy/core";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { McpSource } from "./types.js";

export interface ServerInfo {
  name: string;
  version: string;
}

/** A tool list as the client sees it, compared to tell whether `list_changed` is due. */
function fingerprint(tools: Tool[]): string {
  return JSON.stringify(tools);
}

function toTool(info: ToolInfo): Tool {
  return {
    name: info.name,
    ...(info.description !== undefined && { description: info.description }),
    inputSchema: { type: "object", ...info.inputSchema } as Tool["inputSchema"],
  };
}

function toCallToolResult(result: ToolResult): CallToolResult {
  const content: CallToolResult["content"] =
    typeof result.content === "string"
      ? [{ type: "text", text: result.content }]
      : result.content.map((part) => {
          if (part.type === "text") return { type: "text", text: part.text };
          const match = /^data:([^;,]+);base64,(.*)$/s.exec(part.image_url.url);
          return match
            ? { type: "image", mimeType: match[1]!, data: match[2]! }
            : { type: "text", text: part.image_url.url };
        });
  return { content, ...(result.isError && { isError: true }) };
}

/**
 * One SDK `Server` per session over `source`. Ping and cancellation are the
 * SDK's: a client's `notifications/cancelled` aborts the handler's signal,
 * which reaches the call behind, and so does closing the server (the SDK
 * aborts every handler in flight then), so a handler needs no signal of its
 * own for the session's end. `lifetime` bounds the re-listing done on change.
 */
export function createSessionServer(
  source: McpSource,
  info: ServerInfo,
  logger: Logger,
  lifetime: AbortSignal,
  options: { revived?: boolean } = {},
): { server: Server; dispose: () => void } {
  const server = new Server(info, {
    capabilities: {
      tools: { listChanged: true },
      // Accepted so clients can set it; the servers behind keep their own log levels.
      logging: {},
      ...(source.prompts && { prompts: {} }),
      ...(source.resources && { resources: {} }),
    },
  });
  let listed: { names: Set<string>; print: string } | undefined;
  /** Every name this session was shown: one withheld since (its server down) is a tool error, not unknown. */
  const seen = new Set<string>();

  const listTools = async (signal?: AbortSignal) => {
    const tools = (await source.tools.list(signal && { signal })).map(toTool);
    listed = { names: new Set(tools.map((t) => t.name)), print: fingerprint(tools) };
    for (const tool of tools) seen.add(tool.name);
    return tools;
  };

  server.setRequestHandler(SetLevelRequestSchema, async () => ({}));

  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => ({
    tools: await listTools(extra.signal),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const signal = extra.signal;
    const { name } = request.params;
    // A tool the caller was not shown is not called, even if the toolset could route it.
    if (!listed?.names.has(name) && !seen.has(name)) await listTools(signal);
    if (!listed?.names.has(name) && !seen.has(name))
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name.slice(0, 128)}`);
    const token = request.params._meta?.progressToken;
    // Progress sent before the result must reach the client before it: the result ends the stream.
    const sent: Promise<void>[] = [];
    const result = await source.tools.call(name, request.params.arguments ?? {}, {
      signal,
      ...(token !== undefined && {
        onProgress: (progress) => {
          sent.push(
            extra
              .sendNotification({
                method: "notifications/progress",
                params: { progressToken: token, ...progress },
              })
              .catch(() => {}),
          );
        },
      }),
    });
    if (sent.length > 0) {
      await Promise.all(sent);
      // A client on the SDK drops progress it reads in the same chunk as the result (its notification
      // handlers run a microtask late); a turn of the event loop lets the progress go out on its own.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return toCallToolResult(result);
  });

  const { prompts, resources } = source;
  if (prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, async (_r, extra) => ({
      prompts: await prompts.list({ signal: extra.signal }),
    }));
    server.setRequestHandler(GetPromptRequestSchema, (request, extra) =>
      prompts.get(request.params.name, request.params.arguments ?? {}, {
        signal: extra.signal,
      }),
    );
  }
  if (resources) {
    server.setRequestHandler(ListResourcesRequestSchema, async (_r, extra) => ({
      resources: await resources.list({ signal: extra.signal }),
    }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_r, extra) => ({
      resourceTemplates: await resources.templates({
        signal: extra.signal,
      }),
    }));
    server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
      resources.read(request.params.uri, { signal: extra.signal }),
    );
  }

  let checking = false;
  const unsubscribe = source.onChange?.(() => {
    // Only a client that has listed can hold a stale list; one re-list at a time.
    if (!listed || checking || lifetime.aborted) return;
    checking = true;
    const before = listed.print;
    listTools(lifetime)
      .then(() => {
        if (listed && listed.print !== before) return server.sendToolListChanged();
      })
      .catch((error: unknown) =>
        logger.debug({ err: String(error) }, "mcp endpoint: re-listing tools failed"),
      )
      .finally(() => {
        checking = false;
      });
  });
  // A session revived here was listed elsewhere: list now, so a change from here on is noticed.
  if (options.revived && unsubscribe)
    listTools(lifetime).catch((error: unknown) =>
      logger.debug(
        { err: String(error) },
        "mcp endpoint: listing a revived session's tools failed",
      ),
    );
  return { server, dispose: () => unsubscribe?.() };
}
