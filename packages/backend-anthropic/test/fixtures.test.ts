import type { BackendEvent, Completion, LlmBackend, LlmRequest } from "@aiproxy/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnthropicBackend } from "../src/index.js";
import { toAnthropicRequest } from "../src/request.js";
import {
  collect,
  json,
  jsonFixture,
  sse,
  sseFixture,
  startUpstream,
  type TestUpstream,
} from "./helpers/upstream.js";

const request: LlmRequest = {
  model: "claude-sonnet-4-5",
  messages: [{ role: "user", content: "Hi" }],
};

let upstream: TestUpstream;
let backend: LlmBackend;

beforeAll(async () => {
  upstream = await startUpstream();
  backend = createAnthropicBackend({ baseUrl: upstream.baseUrl, apiKey: "sk-ant-test-key" });
});
afterAll(() => upstream.close());

async function replayStream(name: string, sliceBytes?: number): Promise<BackendEvent[]> {
  upstream.enqueue(sse(sseFixture(name), sliceBytes));
  return collect(backend.stream(request));
}

async function replayJson(name: string): Promise<Completion> {
  upstream.enqueue(json(jsonFixture(name)));
  return backend.generate(request);
}

const finishOf = (events: BackendEvent[]) => {
  const last = events[events.length - 1];
  if (last?.type !== "finish") throw new Error("no finish event");
  return last;
};

describe("recorded streams", () => {
  it("sends the documented request: POST /v1/messages with x-api-key and anthropic-version", async () => {
    await replayStream("sdk-python/basic_response.sse");
    const sent = upstream.requests[upstream.requests.length - 1]!;
    expect(sent.method).toBe("POST");
    expect(sent.path).toBe("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe("sk-ant-test-key");
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(sent.headers.accept).toBe("text/event-stream");
    expect(sent.body).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      stream: true,
    });
  });

  it("sdk-python basic_response: text deltas and usage", async () => {
    expect(await replayStream("sdk-python/basic_response.sse")).toEqual([
      { type: "text-delta", delta: "Hello" },
      { type: "text-delta", delta: " there" },
      { type: "text-delta", delta: "!" },
      {
        type: "finish",
        id: "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK",
        finishReason: "stop",
        usage: { promptTokens: 11, completionTokens: 6, totalTokens: 17 },
        message: { role: "assistant", content: "Hello there!" },
      },
    ]);
  });

  it("parses events split across arbitrary network chunks", async () => {
    const events = await replayStream("sdk-python/basic_response.sse", 3);
    expect(finishOf(events).message.content).toBe("Hello there!");
    expect(events).toHaveLength(4);
  });

  it("sdk-python tool_use_response: text, then one tool call with its id and name first", async () => {
    expect(await replayStream("sdk-python/tool_use_response.sse")).toEqual([
      { type: "text-delta", delta: "I" },
      { type: "text-delta", delta: "'ll check the current weather in Paris for you." },
      {
        type: "tool-call-delta",
        index: 0,
        id: "toolu_01NRLabsLyVHZPKxbKvkfSMn",
        name: "get_weather",
      },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"locati' },
      { type: "tool-call-delta", index: 0, argumentsDelta: 'on": "P' },
      { type: "tool-call-delta", index: 0, argumentsDelta: "ar" },
      { type: "tool-call-delta", index: 0, argumentsDelta: 'is"}' },
      {
        type: "finish",
        id: "msg_019Q1hrJbZG26Fb9BQhrkHEr",
        finishReason: "tool_calls",
        usage: {
          promptTokens: 377,
          completionTokens: 65,
          totalTokens: 442,
          cachedTokens: 0,
          cacheCreationTokens: 0,
        },
        message: {
          role: "assistant",
          content: "I'll check the current weather in Paris for you.",
          tool_calls: [
            {
              id: "toolu_01NRLabsLyVHZPKxbKvkfSMn",
              type: "function",
              function: { name: "get_weather", arguments: '{"location": "Paris"}' },
            },
          ],
        },
      },
    ]);
  });

  it("sdk-python incomplete_partial_json_response: max_tokens mid tool call keeps the raw arguments", async () => {
    const events = await replayStream("sdk-python/incomplete_partial_json_response.sse");
    const toolDeltas = events.filter((e) => e.type === "tool-call-delta");
    expect(toolDeltas).toEqual([
      {
        type: "tool-call-delta",
        index: 0,
        id: "toolu_01EKqbqmZrGRXy18eN7m9kvY",
        name: "make_file",
      },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"filename": "taxes.txt' },
      {
        type: "tool-call-delta",
        index: 0,
        argumentsDelta:
          '", "lines_of_text": [\n"# COMPREHENSIVE TAX GUIDE FOR INDIVIDUALS WITH MULTIPLE W-2s",\n"",\n"## INTRODUCTION",\n"",',
      },
      { type: "tool-call-delta", index: 0, argumentsDelta: '\n"Filing taxes' },
    ]);
    expect(finishOf(events)).toEqual({
      type: "finish",
      id: "msg_01UdjYBBipA9omjYhicnevgq",
      finishReason: "length",
      usage: {
        promptTokens: 450,
        completionTokens: 124,
        totalTokens: 574,
        cachedTokens: 0,
        cacheCreationTokens: 0,
      },
      message: {
        role: "assistant",
        content:
          "I'll create a comprehensive tax guide for someone with multiple W2s and save it in a file called taxes.txt. Let me do that for you now.",
        tool_calls: [
          {
            id: "toolu_01EKqbqmZrGRXy18eN7m9kvY",
            type: "function",
            function: {
              name: "make_file",
              arguments:
                '{"filename": "taxes.txt", "lines_of_text": [\n"# COMPREHENSIVE TAX GUIDE FOR INDIVIDUALS WITH MULTIPLE W-2s",\n"",\n"## INTRODUCTION",\n"",\n"Filing taxes',
            },
          },
        ],
      },
    });
  });

  it("sdk-python refusal_response: content_filter with the refusal explanation", async () => {
    expect(await replayStream("sdk-python/refusal_response.sse")).toEqual([
      {
        type: "finish",
        id: "msg_01RefusalTestMessage123456789",
        finishReason: "content_filter",
        usage: { promptTokens: 20, completionTokens: 120, totalTokens: 140, reasoningTokens: 67 },
        message: {
          role: "assistant",
          content: "",
          refusal: "This request was refused due to policy.",
        },
      },
    ]);
  });

  it("sdk-python message_delta_fields_response: cumulative usage with cache tokens", async () => {
    const events = await replayStream("sdk-python/message_delta_fields_response.sse");
    expect(events).toEqual([
      { type: "text-delta", delta: "Hello there!" },
      {
        type: "finish",
        id: "msg_01MessageDeltaFields00000001",
        finishReason: "stop",
        // input 40 + cache read 7 + cache creation 12, all from message_delta.
        usage: {
          promptTokens: 59,
          completionTokens: 8,
          totalTokens: 67,
          cachedTokens: 7,
          cacheCreationTokens: 12,
          reasoningTokens: 3,
        },
        message: { role: "assistant", content: "Hello there!" },
      },
    ]);
  });

  it("vercel-ai anthropic-text: text deltas, pings ignored", async () => {
    expect(await replayStream("vercel-ai/anthropic-text.chunks.txt")).toEqual([
      { type: "text-delta", delta: "Hello" },
      { type: "text-delta", delta: "! I" },
      { type: "text-delta", delta: "'m doing well, thank you for asking" },
      { type: "text-delta", delta: ". How are you doing today?" },
      { type: "text-delta", delta: " Is" },
      { type: "text-delta", delta: " there anything I can help you with?" },
      {
        type: "finish",
        id: "msg_01QC4g3HwBThD4BaNtBckFDJ",
        finishReason: "stop",
        usage: {
          promptTokens: 12,
          completionTokens: 30,
          totalTokens: 42,
          cachedTokens: 0,
          cacheCreationTokens: 0,
        },
        message: {
          role: "assistant",
          content:
            "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
        },
      },
    ]);
  });

  it("vercel-ai anthropic-tool-no-args: a call without arguments gets '{}'", async () => {
    expect(await replayStream("vercel-ai/anthropic-tool-no-args.chunks.txt")).toEqual([
      { type: "text-delta", delta: "I'll update the issue list for" },
      { type: "text-delta", delta: " you." },
      {
        type: "tool-call-delta",
        index: 0,
        id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP",
        name: "updateIssueList",
      },
      { type: "tool-call-delta", index: 0, argumentsDelta: "{}" },
      {
        type: "finish",
        id: "msg_01GE2RKp1VYsPzdFs3sS9z5S",
        finishReason: "tool_calls",
        usage: {
          promptTokens: 565,
          completionTokens: 48,
          totalTokens: 613,
          cachedTokens: 0,
          cacheCreationTokens: 0,
        },
        message: {
          role: "assistant",
          content: "I'll update the issue list for you.",
          tool_calls: [
            {
              id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP",
              type: "function",
              function: { name: "updateIssueList", arguments: "{}" },
            },
          ],
        },
      },
    ]);
  });

  it("vercel-ai anthropic-clear-thinking: reasoning deltas, thinking block with signature kept", async () => {
    expect(await replayStream("vercel-ai/anthropic-clear-thinking.1.chunks.txt")).toEqual([
      { type: "reasoning-delta", delta: "The previous" },
      { type: "reasoning-delta", delta: " result" },
      { type: "reasoning-delta", delta: " was" },
      { type: "reasoning-delta", delta: " 925." },
      { type: "reasoning-delta", delta: " Now" },
      { type: "reasoning-delta", delta: " I need to divide that" },
      { type: "reasoning-delta", delta: " by 5.\n\n925" },
      { type: "reasoning-delta", delta: " ÷ 5 " },
      { type: "reasoning-delta", delta: "= 185" },
      // The signature comes on its own, so a renderer can close the thinking block with it.
      {
        type: "reasoning-delta",
        delta: "",
        signature:
          "EvQBCkYICxgCKkAxhD4NUKFzudtZ6NzbZdEiBACIScTzqjPViM596iWLZIk4EFKYYBj3B6Ptl3b0dcQv/VeJBNbejNWIWRBn+KPNEgz6HWtKx7p+QRgKsEoaDGjsiqfht7gTRFYHiyIwD1VSmNqHxv3wy8KEMP+LYb/TC4UH3H97tuoaADARFFcA0phdfxnzKQxFnc9lwY+dKlzUsaKSUAFeu1bDL5ikZJ1vL0Fkz6JjoFke0L/wOJRIUDUlDUOFJ1tZ3ea7g6LGE/5hwuvWgLwewdcm64d+43l7F57XrOmqNd6flI2K/oPr/4yzNgvi/EhT6Ca17BgB",
      },
      { type: "text-delta", delta: "925" },
      { type: "text-delta", delta: " ÷ 5 " },
      { type: "text-delta", delta: "= 185" },
      {
        type: "finish",
        id: "msg_01Y6V41gqPaKWEw7iPouH7iW",
        finishReason: "stop",
        usage: {
          promptTokens: 69,
          completionTokens: 53,
          totalTokens: 122,
          cachedTokens: 0,
          cacheCreationTokens: 0,
        },
        message: {
          role: "assistant",
          content: "925 ÷ 5 = 185",
          providerData: {
            anthropic: {
              content: [
                {
                  type: "thinking",
                  thinking:
                    "The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185",
                  signature:
                    "EvQBCkYICxgCKkAxhD4NUKFzudtZ6NzbZdEiBACIScTzqjPViM596iWLZIk4EFKYYBj3B6Ptl3b0dcQv/VeJBNbejNWIWRBn+KPNEgz6HWtKx7p+QRgKsEoaDGjsiqfht7gTRFYHiyIwD1VSmNqHxv3wy8KEMP+LYb/TC4UH3H97tuoaADARFFcA0phdfxnzKQxFnc9lwY+dKlzUsaKSUAFeu1bDL5ikZJ1vL0Fkz6JjoFke0L/wOJRIUDUlDUOFJ1tZ3ea7g6LGE/5hwuvWgLwewdcm64d+43l7F57XrOmqNd6flI2K/oPr/4yzNgvi/EhT6Ca17BgB",
                },
                { type: "text", text: "925 ÷ 5 = 185" },
              ],
            },
          },
        },
      },
    ]);
  });

  it("vercel-ai anthropic-message-delta-input-tokens: the later input count wins", async () => {
    expect(await replayStream("vercel-ai/anthropic-message-delta-input-tokens.chunks.txt")).toEqual(
      [
        { type: "text-delta", delta: "p" },
        { type: "text-delta", delta: "ong" },
        {
          type: "finish",
          id: "msg_3196a1cc08de4d76b85b8f5777c0d42b",
          finishReason: "stop",
          usage: { promptTokens: 61, completionTokens: 2, totalTokens: 63 },
          message: { role: "assistant", content: "pong" },
        },
      ],
    );
  });

  it("vercel-ai issue-11719: escaped quotes across deltas survive intact", async () => {
    const events = await replayStream(
      "vercel-ai/anthropic-issue-11719-quoted-tool-input.chunks.txt",
    );
    const deltas = events.flatMap((e) =>
      e.type === "tool-call-delta" && e.argumentsDelta ? [e.argumentsDelta] : [],
    );
    expect(deltas).toHaveLength(11);
    const finish = finishOf(events);
    expect(finish.finishReason).toBe("tool_calls");
    expect(finish.usage).toEqual({
      promptTokens: 912,
      completionTokens: 118,
      totalTokens: 1030,
      cachedTokens: 0,
      cacheCreationTokens: 0,
    });
    const call = finish.message.tool_calls?.[0];
    expect(call?.id).toBe("toolu_01Cr31vcGoeeRgi3Eo5Ds8qN");
    expect(call?.function.arguments).toBe(deltas.join(""));
    expect(JSON.parse(call?.function.arguments ?? "")).toEqual({
      website_path: "/home/user/pace-landing",
      tasks: [
        {
          description:
            'Today you post every run to Strava, but Strava does not answer the question: "What should I do next after this run?". It is a great log, but it is not adaptive.',
          type: "feature",
          passes: false,
        },
      ],
    });
  });

  it("vercel-ai code execution: server tool blocks are kept, never turned into tool calls", async () => {
    const events = await replayStream(
      "vercel-ai/anthropic-code-execution-20260120-prompt-cache.1.chunks.txt",
    );
    expect(events).toEqual([
      { type: "text-delta", delta: "The" },
      { type: "text-delta", delta: " sum of the squares of the numbers 1 through 12 is **650**." },
      {
        type: "finish",
        id: "msg_011CdYfpjpVtBoXyXCQD1tQP",
        finishReason: "stop",
        usage: {
          promptTokens: 9632,
          completionTokens: 198,
          totalTokens: 9830,
          cachedTokens: 6289,
          cacheCreationTokens: 3337,
          reasoningTokens: 0,
        },
        message: {
          role: "assistant",
          content: "The sum of the squares of the numbers 1 through 12 is **650**.",
          providerData: {
            anthropic: {
              content: [
                {
                  type: "server_tool_use",
                  id: "srvtoolu_011fxGj786xCAh2kPk9GMxQw",
                  name: "bash_code_execution",
                  input: { command: 'for n in $(seq 1 12); do echo "$n: $((n*n))"; done' },
                },
                {
                  type: "bash_code_execution_tool_result",
                  tool_use_id: "srvtoolu_011fxGj786xCAh2kPk9GMxQw",
                  content: {
                    type: "bash_code_execution_result",
                    stdout:
                      "1: 1\n2: 4\n3: 9\n4: 16\n5: 25\n6: 36\n7: 49\n8: 64\n9: 81\n10: 100\n11: 121\n12: 144\n",
                    stderr: "",
                    return_code: 0,
                    content: [],
                  },
                },
                {
                  type: "server_tool_use",
                  id: "srvtoolu_013eUksWZnfcjFk1iarJsYgM",
                  name: "bash_code_execution",
                  input: {
                    command:
                      'sum=0; for n in $(seq 1 12); do sum=$((sum + n*n)); done; echo "Sum: $sum"',
                  },
                },
                {
                  type: "bash_code_execution_tool_result",
                  tool_use_id: "srvtoolu_013eUksWZnfcjFk1iarJsYgM",
                  content: {
                    type: "bash_code_execution_result",
                    stdout: "Sum: 650\n",
                    stderr: "",
                    return_code: 0,
                    content: [],
                  },
                },
                {
                  type: "text",
                  text: "The sum of the squares of the numbers 1 through 12 is **650**.",
                },
              ],
            },
          },
        },
      },
    ]);
  });

  it("anthropic docs streaming-tool-use", async () => {
    expect(await replayStream("anthropic-docs/streaming-tool-use.sse")).toEqual([
      { type: "text-delta", delta: "Okay, let's check the weather for San Francisco, CA:" },
      {
        type: "tool-call-delta",
        index: 0,
        id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        name: "get_weather",
      },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"location":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: ' "San Francisc' },
      { type: "tool-call-delta", index: 0, argumentsDelta: 'o, CA"}' },
      {
        type: "finish",
        id: "msg_014p7gG3wDgGV9EUtLvnow3U",
        finishReason: "tool_calls",
        usage: { promptTokens: 472, completionTokens: 89, totalTokens: 561 },
        message: {
          role: "assistant",
          content: "Okay, let's check the weather for San Francisco, CA:",
          tool_calls: [
            {
              id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
              type: "function",
              function: { name: "get_weather", arguments: '{"location": "San Francisco, CA"}' },
            },
          ],
        },
      },
    ]);
  });

  it("anthropic docs streaming-extended-thinking: no usage at all still finishes", async () => {
    expect(await replayStream("anthropic-docs/streaming-extended-thinking.sse")).toEqual([
      {
        type: "reasoning-delta",
        delta: "Let me solve this step by step:\n\n1. First break down 27 * 453",
      },
      { type: "reasoning-delta", delta: "\n2. 453 = 400 + 50 + 3" },
      { type: "reasoning-delta", delta: "\n3. 27 * 400 = 10,800" },
      { type: "reasoning-delta", delta: "\n4. 27 * 50 = 1,350" },
      { type: "reasoning-delta", delta: "\n5. 27 * 3 = 81" },
      { type: "reasoning-delta", delta: "\n6. 10,800 + 1,350 + 81 = 12,231" },
      {
        type: "reasoning-delta",
        delta: "",
        signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...",
      },
      { type: "text-delta", delta: "27 * 453 = 12,231" },
      {
        type: "finish",
        id: "msg_01...",
        finishReason: "stop",
        usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
        message: {
          role: "assistant",
          content: "27 * 453 = 12,231",
          providerData: {
            anthropic: {
              content: [
                {
                  type: "thinking",
                  thinking:
                    "Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3\n3. 27 * 400 = 10,800\n4. 27 * 50 = 1,350\n5. 27 * 3 = 81\n6. 10,800 + 1,350 + 81 = 12,231",
                  signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...",
                },
                { type: "text", text: "27 * 453 = 12,231" },
              ],
            },
          },
        },
      },
    ]);
  });
});

describe("recorded non-streaming responses", () => {
  it("vercel-ai anthropic-text.json", async () => {
    expect(await replayJson("vercel-ai/anthropic-text.json")).toEqual({
      id: "msg_01TestTextResponse",
      finishReason: "stop",
      usage: {
        promptTokens: 10,
        completionTokens: 5,
        totalTokens: 15,
        cachedTokens: 0,
        cacheCreationTokens: 0,
      },
      message: { role: "assistant", content: "Hello!" },
    });
    const sent = upstream.requests[upstream.requests.length - 1]!;
    expect(sent.headers.accept).toBe("application/json");
    expect(sent.body.stream).toBeUndefined();
  });

  it("vercel-ai anthropic-json-tool.1.json: tool input becomes JSON arguments", async () => {
    expect(await replayJson("vercel-ai/anthropic-json-tool.1.json")).toEqual({
      id: "msg_0191iYfpERYfS27xLsdW2nbb",
      finishReason: "tool_calls",
      usage: {
        promptTokens: 1151,
        completionTokens: 87,
        totalTokens: 1238,
        cachedTokens: 0,
        cacheCreationTokens: 0,
      },
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "toolu_01Q9ExVZnzZj7E2QQYHYtNUa",
            type: "function",
            function: {
              name: "json",
              arguments:
                '{"elements":[{"location":"San Francisco","temperature":-5,"condition":"snowy"},{"location":"London","temperature":0,"condition":"snowy"},{"location":"Paris","temperature":23,"condition":"cloudy"},{"location":"Berlin","temperature":-9,"condition":"snowy"}]}',
            },
          },
        ],
      },
    });
  });

  const thinkingToolCall = JSON.parse(jsonFixture("vercel-ai/issue-13430-thinking-tool-call.json"));

  it("vercel-ai issue-13430: thinking before a tool call, reasoning tokens counted", async () => {
    expect(await replayJson("vercel-ai/issue-13430-thinking-tool-call.json")).toEqual({
      id: "msg_011CfWBu94HWxZXjXK6ZhEXM",
      finishReason: "tool_calls",
      usage: {
        promptTokens: 599,
        completionTokens: 59,
        totalTokens: 658,
        cachedTokens: 0,
        cacheCreationTokens: 0,
        reasoningTokens: 18,
      },
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "toolu_017R7ACrx7NF7sLDDtvdQ1u9",
            type: "function",
            function: { name: "checkSandboxErrors", arguments: "{}" },
          },
        ],
        providerData: { anthropic: { content: thinkingToolCall.content } },
      },
    });
  });

  it("sends a recorded thinking turn back unchanged on the next request", async () => {
    const completion = await replayJson("vercel-ai/issue-13430-thinking-tool-call.json");
    const next = toAnthropicRequest({
      model: "claude-sonnet-4-6",
      messages: [
        { role: "user", content: "Check the sandbox" },
        completion.message,
        { role: "tool", tool_call_id: "toolu_017R7ACrx7NF7sLDDtvdQ1u9", content: "no errors" },
      ],
    });
    expect(next.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Check the sandbox" }] },
      { role: "assistant", content: thinkingToolCall.content },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_017R7ACrx7NF7sLDDtvdQ1u9",
            content: "no errors",
          },
        ],
      },
    ]);
  });

  it("anthropic docs redacted-thinking: both thinking kinds carried, in order, and sent back", async () => {
    const docs = JSON.parse(jsonFixture("anthropic-docs/redacted-thinking.json"));
    const completion = await replayJson("anthropic-docs/redacted-thinking.json");
    expect(completion).toEqual({
      finishReason: "stop",
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      message: {
        role: "assistant",
        content: "Based on my analysis...",
        providerData: { anthropic: { content: docs.content } },
      },
    });
    const next = toAnthropicRequest({
      model: "m",
      messages: [
        { role: "user", content: "Analyse" },
        completion.message,
        { role: "user", content: "Go on" },
      ],
    });
    expect(next.messages[1]).toEqual({ role: "assistant", content: docs.content });
  });

  it("a streamed thinking turn goes back as the API produced it", async () => {
    const events = await replayStream("vercel-ai/anthropic-clear-thinking.1.chunks.txt");
    const next = toAnthropicRequest({
      model: "m",
      messages: [
        { role: "user", content: "Divide by 5" },
        finishOf(events).message,
        { role: "user", content: "Thanks" },
      ],
    });
    expect(next.messages[1]?.content.map((block) => block.type)).toEqual(["thinking", "text"]);
    expect(next.messages[1]?.content[0]).toMatchObject({
      type: "thinking",
      signature: expect.stringMatching(/^EvQBCkYICxgC/),
    });
  });
});
