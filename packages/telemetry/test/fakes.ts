import type {
  BackendEvent,
  CallOptions,
  Completion,
  LlmBackend,
  LlmRequest,
  ToolInfo,
  ToolResult,
  Toolset,
} from "@aiproxy/core";

/** A backend answering with one tool call to `tool`, then text; it records each call's headers. */
export function toolThenText(
  tool: string,
): LlmBackend & { headers: (Record<string, string> | undefined)[] } {
  const headers: (Record<string, string> | undefined)[] = [];
  let calls = 0;
  const next = (): BackendEvent[] => {
    calls++;
    if (calls === 1)
      return [
        {
          type: "finish",
          id: "resp_1",
          finishReason: "tool_calls",
          usage: { promptTokens: 10, completionTokens: 2, totalTokens: 12, cachedTokens: 4 },
          message: {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: tool, arguments: "{}" } },
            ],
          },
        },
      ];
    return [
      { type: "text-delta", delta: "done" },
      {
        type: "finish",
        id: `resp_${calls}`,
        finishReason: "stop",
        usage: { promptTokens: 20, completionTokens: 3, totalTokens: 23 },
        message: { role: "assistant", content: "done" },
      },
    ];
  };
  return {
    provider: "openai",
    headers,
    async generate(_request: LlmRequest, options?: CallOptions): Promise<Completion> {
      headers.push(options?.headers);
      const finish = next().find((e) => e.type === "finish");
      if (finish?.type !== "finish") throw new Error("no finish");
      return {
        id: finish.id,
        message: finish.message,
        finishReason: finish.finishReason,
        usage: finish.usage,
      };
    },
    async *stream(_request: LlmRequest, options?: CallOptions): AsyncIterable<BackendEvent> {
      headers.push(options?.headers);
      yield* next();
    },
  };
}

/** One MCP-like tool, `<server>__<tool>`. */
export function toolset(
  server: string,
  tool: string,
  result: ToolResult = { content: "42", isError: false },
): Toolset {
  const info: ToolInfo = {
    name: `${server}__${tool}`,
    inputSchema: { type: "object" },
    server,
    tool,
  };
  return {
    list: async () => [info],
    call: async () => result,
  };
}
