import { type ChatMessage, InvalidRequestError, type LlmRequest } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { PLACEHOLDER_USER_TEXT, toAnthropicRequest } from "../src/request.js";
import { finishReasonOf, fromAnthropicMessage, usageOf } from "../src/response.js";

const req = (messages: ChatMessage[], extra: Partial<LlmRequest> = {}): LlmRequest => ({
  model: "claude-sonnet-4-5",
  messages,
  ...extra,
});

const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

describe("system prompts", () => {
  it("joins every system and developer message, wherever it is, into `system`", () => {
    const body = toAnthropicRequest(
      req([
        { role: "system", content: "You are terse." },
        { role: "user", content: "Hi" },
        {
          role: "developer",
          content: [
            { type: "text", text: "Answer in " },
            { type: "text", text: "French." },
          ],
        },
        { role: "assistant", content: "Bonjour" },
        { role: "system", content: "" },
        { role: "user", content: "Again" },
      ]),
    );
    expect(body.system).toBe("You are terse.\n\nAnswer in French.");
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Hi" }] },
      { role: "assistant", content: [{ type: "text", text: "Bonjour" }] },
      { role: "user", content: [{ type: "text", text: "Again" }] },
    ]);
  });

  it("omits `system` when there is none", () => {
    expect(toAnthropicRequest(req([{ role: "user", content: "Hi" }]))).not.toHaveProperty("system");
  });
});

describe("user content", () => {
  it("maps text and image parts; data: URLs become base64 sources, http(s) URLs url sources", () => {
    const body = toAnthropicRequest(
      req([
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
            { type: "text", text: "" },
            {
              type: "image_url",
              image_url: { url: "https://example.com/cat.jpg", detail: "high" },
            },
            { type: "image_url", image_url: { url: "data:image/svg+xml,%3Csvg%2F%3E" } },
          ],
        },
      ]),
    );
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Compare" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_BASE64 } },
          { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
          {
            type: "image",
            source: {
              type: "base64",
              media_type: "image/svg+xml",
              data: Buffer.from("<svg/>").toString("base64"),
            },
          },
        ],
      },
    ]);
  });

  it("rejects image URLs Anthropic cannot fetch", () => {
    const bad = req([
      { role: "user", content: [{ type: "image_url", image_url: { url: "file:///etc/passwd" } }] },
    ]);
    expect(() => toAnthropicRequest(bad)).toThrowError(/http\(s\) URL or a data: URL/);
    try {
      toAnthropicRequest(bad);
    } catch (error) {
      expect(InvalidRequestError.isInstance(error)).toBe(true);
    }
  });
});

describe("tool calls and results", () => {
  const calls: ChatMessage = {
    role: "assistant",
    content: "Let me look.",
    tool_calls: [
      {
        id: "toolu_1",
        type: "function",
        function: { name: "weather", arguments: '{"city":"Paris"}' },
      },
      { id: "toolu_2", type: "function", function: { name: "time", arguments: '{"tz":' } },
      { id: "toolu_3", type: "function", function: { name: "list", arguments: "[1,2]" } },
    ],
  };

  it("turns tool_calls into tool_use blocks; arguments that are not a JSON object become {}", () => {
    const body = toAnthropicRequest(req([{ role: "user", content: "Go" }, calls]));
    expect(body.messages[1]).toEqual({
      role: "assistant",
      content: [
        { type: "text", text: "Let me look." },
        { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
        { type: "tool_use", id: "toolu_2", name: "time", input: {} },
        { type: "tool_use", id: "toolu_3", name: "list", input: {} },
      ],
    });
  });

  it("merges consecutive tool messages into one user turn, with is_error and images kept", () => {
    const body = toAnthropicRequest(
      req([
        { role: "user", content: "Go" },
        calls,
        { role: "tool", tool_call_id: "toolu_1", content: "18°C" },
        { role: "tool", tool_call_id: "toolu_2", content: "bad arguments", isError: true },
        {
          role: "tool",
          tool_call_id: "toolu_3",
          content: [
            { type: "text", text: "chart:" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
          ],
        },
        { role: "user", content: "And tomorrow?" },
      ]),
    );
    expect(body.messages).toHaveLength(3);
    expect(body.messages[2]).toEqual({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: "18°C" },
        { type: "tool_result", tool_use_id: "toolu_2", content: "bad arguments", is_error: true },
        {
          type: "tool_result",
          tool_use_id: "toolu_3",
          content: [
            { type: "text", text: "chart:" },
            {
              type: "image",
              source: { type: "base64", media_type: "image/png", data: PNG_BASE64 },
            },
          ],
        },
        { type: "text", text: "And tomorrow?" },
      ],
    });
  });

  it("puts tool results first in a merged user turn and omits empty result content", () => {
    const body = toAnthropicRequest(
      req([
        { role: "user", content: "Go" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "toolu_1", type: "function", function: { name: "now", arguments: "{}" } },
          ],
        },
        { role: "user", content: "(the user typed while the tool ran)" },
        { role: "tool", tool_call_id: "toolu_1", content: "" },
      ]),
    );
    expect(body.messages[2]).toEqual({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1" },
        { type: "text", text: "(the user typed while the tool ran)" },
      ],
    });
  });

  it("round-trips a response's tool calls back into the same tool_use blocks", () => {
    const response = {
      id: "msg_1",
      content: [
        { type: "text", text: "Checking both." },
        {
          type: "tool_use",
          id: "toolu_a",
          name: "weather",
          input: { city: "Paris", days: [1, 2] },
        },
        { type: "tool_use", id: "toolu_b", name: "ping", input: {} },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 3, output_tokens: 4 },
    };
    const completion = fromAnthropicMessage(response);
    expect(completion.message).toEqual({
      role: "assistant",
      content: "Checking both.",
      tool_calls: [
        {
          id: "toolu_a",
          type: "function",
          function: { name: "weather", arguments: '{"city":"Paris","days":[1,2]}' },
        },
        { id: "toolu_b", type: "function", function: { name: "ping", arguments: "{}" } },
      ],
    });
    const body = toAnthropicRequest(req([{ role: "user", content: "Go" }, completion.message]));
    expect(body.messages[1]).toEqual({ role: "assistant", content: response.content });
  });
});

describe("turn order", () => {
  it("merges consecutive turns of the same role", () => {
    const body = toAnthropicRequest(
      req([
        { role: "user", content: "one" },
        { role: "user", content: [{ type: "text", text: "two" }] },
        { role: "assistant", content: "three" },
        { role: "assistant", content: "four" },
        { role: "user", content: "five" },
      ]),
    );
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "one" },
          { type: "text", text: "two" },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "text", text: "three" },
          { type: "text", text: "four" },
        ],
      },
      { role: "user", content: [{ type: "text", text: "five" }] },
    ]);
  });

  it("starts with a minimal user turn when the history starts with the assistant", () => {
    const body = toAnthropicRequest(
      req([
        { role: "system", content: "Be brief" },
        { role: "assistant", content: "Hello, how can I help?" },
        { role: "user", content: "Weather?" },
      ]),
    );
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: PLACEHOLDER_USER_TEXT }] },
      { role: "assistant", content: [{ type: "text", text: "Hello, how can I help?" }] },
      { role: "user", content: [{ type: "text", text: "Weather?" }] },
    ]);
  });

  it("gives a system-only request a user turn", () => {
    const body = toAnthropicRequest(req([{ role: "system", content: "Say hi" }]));
    expect(body.system).toBe("Say hi");
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: PLACEHOLDER_USER_TEXT }] },
    ]);
  });

  it("drops messages left without content (the API rejects empty text)", () => {
    const body = toAnthropicRequest(
      req([
        { role: "user", content: "Hi" },
        { role: "assistant", content: "" },
        { role: "user", content: "Still there?" },
      ]),
    );
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Hi" },
          { type: "text", text: "Still there?" },
        ],
      },
    ]);
  });
});

describe("generation parameters", () => {
  const user: ChatMessage[] = [{ role: "user", content: "Hi" }];

  it("takes max_tokens, then max_completion_tokens, then the default", () => {
    expect(
      toAnthropicRequest(req(user, { params: { max_tokens: 10, max_completion_tokens: 20 } }))
        .max_tokens,
    ).toBe(10);
    expect(
      toAnthropicRequest(req(user, { params: { max_completion_tokens: 20 } })).max_tokens,
    ).toBe(20);
    expect(toAnthropicRequest(req(user), { defaultMaxTokens: 300 }).max_tokens).toBe(300);
    expect(toAnthropicRequest(req(user)).max_tokens).toBe(4096);
  });

  it("maps sampling, stop, user; drops what Anthropic has no field for", () => {
    const body = toAnthropicRequest(
      req(user, {
        params: {
          temperature: 0.2,
          top_p: 0.9,
          stop: "END",
          user: "user-42",
          reasoning_effort: "high",
          seed: 7,
          presence_penalty: 1,
          frequency_penalty: 1,
          response_format: { type: "json_object" },
          n: 1,
          logit_bias: { "50256": -100 },
          logprobs: true,
          top_logprobs: 2,
          service_tier: "auto",
          metadata: { tag: "x" },
        },
      }),
    );
    expect(body).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ["END"],
      metadata: { user_id: "user-42" },
    });
    expect(toAnthropicRequest(req(user, { params: { stop: ["a", "b"] } })).stop_sequences).toEqual([
      "a",
      "b",
    ]);
    expect(toAnthropicRequest(req(user, { params: { stop: [] } }))).not.toHaveProperty(
      "stop_sequences",
    );
  });

  it("merges extraBody last, so thinking can be enabled and any field overridden", () => {
    const body = toAnthropicRequest(
      req(user, {
        params: { max_tokens: 100 },
        extraBody: { thinking: { type: "enabled", budget_tokens: 2048 }, max_tokens: 8000 },
      }),
      { stream: true },
    );
    expect(body).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 8000,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      stream: true,
      thinking: { type: "enabled", budget_tokens: 2048 },
    });
  });
});

describe("tools", () => {
  const tools: LlmRequest["tools"] = [
    {
      type: "function",
      function: {
        name: "weather",
        description: "Weather for a city",
        parameters: {
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
        },
        strict: true,
      },
    },
    { type: "function", function: { name: "now" } },
  ];
  const user: ChatMessage[] = [{ role: "user", content: "Hi" }];

  it("become {name, description, input_schema}", () => {
    expect(toAnthropicRequest(req(user, { tools })).tools).toEqual([
      {
        name: "weather",
        description: "Weather for a city",
        input_schema: {
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
        },
      },
      { name: "now", input_schema: { type: "object", properties: {} } },
    ]);
  });

  it.each([
    [{ tool_choice: "auto" as const }, { type: "auto" }],
    [{ tool_choice: "none" as const }, { type: "none" }],
    [{ tool_choice: "required" as const }, { type: "any" }],
    [
      { tool_choice: { type: "function" as const, function: { name: "now" } } },
      { type: "tool", name: "now" },
    ],
    [{ parallel_tool_calls: false }, { type: "auto", disable_parallel_tool_use: true }],
    [
      { tool_choice: "required" as const, parallel_tool_calls: false },
      { type: "any", disable_parallel_tool_use: true },
    ],
    [
      {
        tool_choice: { type: "function" as const, function: { name: "now" } },
        parallel_tool_calls: false,
      },
      { type: "tool", name: "now", disable_parallel_tool_use: true },
    ],
    [{ tool_choice: "none" as const, parallel_tool_calls: false }, { type: "none" }],
    [{ parallel_tool_calls: true }, undefined],
  ])("tool_choice %j -> %j", (params, expected) => {
    expect(toAnthropicRequest(req(user, { tools, params })).tool_choice).toEqual(expected);
  });

  it("sends no tool_choice without tools", () => {
    const body = toAnthropicRequest(req(user, { params: { tool_choice: "required" } }));
    expect(body).not.toHaveProperty("tool_choice");
    expect(body).not.toHaveProperty("tools");
  });
});

describe("providerData round trip", () => {
  const thinking = { type: "thinking", thinking: "Plan: call the tool.", signature: "sig-1" };
  const redacted = { type: "redacted_thinking", data: "opaque==" };

  it("sends stored blocks in their original order, dropping empty text blocks", () => {
    const completion = fromAnthropicMessage({
      content: [
        thinking,
        { type: "text", text: "" },
        { type: "tool_use", id: "toolu_x", name: "now", input: {} },
        redacted,
        { type: "text", text: "after" },
      ],
      stop_reason: "tool_use",
    });
    const body = toAnthropicRequest(req([{ role: "user", content: "Go" }, completion.message]));
    expect(body.messages[1]?.content).toEqual([
      thinking,
      { type: "tool_use", id: "toolu_x", name: "now", input: {} },
      redacted,
      { type: "text", text: "after" },
    ]);
  });

  it("falls back to thinking blocks + the edited message when tool calls no longer match", () => {
    const completion = fromAnthropicMessage({
      content: [thinking, redacted, { type: "tool_use", id: "toolu_x", name: "now", input: {} }],
      stop_reason: "tool_use",
    });
    const edited: ChatMessage = {
      ...completion.message,
      content: "Renamed.",
      tool_calls: [{ id: "call_9", type: "function", function: { name: "now", arguments: "{}" } }],
    };
    const body = toAnthropicRequest(req([{ role: "user", content: "Go" }, edited]));
    expect(body.messages[1]?.content).toEqual([
      thinking,
      redacted,
      { type: "text", text: "Renamed." },
      { type: "tool_use", id: "call_9", name: "now", input: {} },
    ]);
  });

  it("ignores providerData from other adapters", () => {
    const body = toAnthropicRequest(
      req([
        { role: "user", content: "Go" },
        { role: "assistant", content: "Hi", providerData: { openai: { reasoning: "x" } } },
      ]),
    );
    expect(body.messages[1]?.content).toEqual([{ type: "text", text: "Hi" }]);
  });
});

describe("the client's own Anthropic form (providerData.anthropic)", () => {
  const cached = { type: "ephemeral" };
  const pdf = {
    type: "document",
    source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" },
    cache_control: cached,
  };

  it("sends system blocks, inline system turns, user blocks, tool results and tools as they came", () => {
    const readTool = {
      name: "Read",
      input_schema: { type: "object" },
      cache_control: cached,
      defer_loading: true,
    };
    const toolResult = {
      type: "tool_result",
      tool_use_id: "toolu_1",
      content: [{ type: "search_result", source: "x", title: "t", content: [] }],
      cache_control: cached,
    };
    const body = toAnthropicRequest(
      req(
        [
          {
            role: "system",
            content: "Be brief.",
            providerData: {
              anthropic: { content: [{ type: "text", text: "Be brief.", cache_control: cached }] },
            },
          },
          { role: "system", content: "Assistant default." },
          {
            role: "user",
            content: [{ type: "text", text: "Read this" }],
            providerData: {
              anthropic: {
                content: [{ type: "text", text: "Read this" }, pdf, { type: "newer_block" }],
              },
            },
          },
          {
            role: "system",
            content: "Env",
            providerData: { anthropic: { content: [{ type: "text", text: "Env" }], inline: true } },
          },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "toolu_1", type: "function", function: { name: "Read", arguments: "{}" } },
            ],
          },
          {
            role: "tool",
            tool_call_id: "toolu_1",
            content: "",
            providerData: { anthropic: { content: [toolResult] } },
          },
          { role: "user", content: "and then?" },
        ],
        {
          tools: [
            { type: "function", function: { name: "mcp__add", parameters: { type: "object" } } },
            {
              type: "function",
              function: { name: "Read", parameters: { type: "object" } },
              providerData: { anthropic: { tool: readTool } },
            },
          ],
        },
      ),
    );
    expect(body.system).toEqual([
      { type: "text", text: "Be brief.", cache_control: cached },
      { type: "text", text: "Assistant default." },
    ]);
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [{ type: "text", text: "Read this" }, pdf, { type: "newer_block" }],
      },
      { role: "system", content: [{ type: "text", text: "Env" }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: {} }],
      },
      { role: "user", content: [toolResult, { type: "text", text: "and then?" }] },
    ]);
    expect(body.tools).toEqual([{ name: "mcp__add", input_schema: { type: "object" } }, readTool]);
  });

  it("does not change the stored blocks when turns are merged", () => {
    const stored = [{ type: "text", text: "first" }];
    const messages: ChatMessage[] = [
      { role: "user", content: "first", providerData: { anthropic: { content: stored } } },
      { role: "user", content: "second" },
    ];
    const body = toAnthropicRequest(req(messages));
    expect(body.messages[0]?.content).toHaveLength(2);
    expect(stored).toEqual([{ type: "text", text: "first" }]);
  });

  it("keeps the stop sequence that ended a response", () => {
    const completion = fromAnthropicMessage({
      content: [{ type: "text", text: "1, 2" }],
      stop_reason: "stop_sequence",
      stop_sequence: "3",
    });
    expect(completion.finishReason).toBe("stop");
    expect(completion.message.providerData).toEqual({
      anthropic: { content: [{ type: "text", text: "1, 2" }], stop_sequence: "3" },
    });
  });
});

describe("response mapping", () => {
  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["pause_turn", "stop"],
    ["tool_use", "tool_calls"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["refusal", "content_filter"],
    [null, "stop"],
  ] as const)("stop_reason %s -> %s", (stopReason, finishReason) => {
    expect(finishReasonOf(stopReason)).toBe(finishReason);
  });

  it("counts cached tokens into the prompt as OpenAI does", () => {
    expect(
      usageOf({
        input_tokens: 10,
        cache_read_input_tokens: 1000,
        cache_creation_input_tokens: 200,
        output_tokens: 50,
        output_tokens_details: { thinking_tokens: 20 },
      }),
    ).toEqual({
      promptTokens: 1210,
      completionTokens: 50,
      totalTokens: 1260,
      cachedTokens: 1000,
      cacheCreationTokens: 200,
      reasoningTokens: 20,
    });
    expect(usageOf({ input_tokens: 5, output_tokens: 1, cache_read_input_tokens: null })).toEqual({
      promptTokens: 5,
      completionTokens: 1,
      totalTokens: 6,
    });
  });

  it("gives an empty answer '' and a tool-only answer null content", () => {
    expect(fromAnthropicMessage({ content: [], stop_reason: "end_turn" }).message.content).toBe("");
    expect(
      fromAnthropicMessage({
        content: [{ type: "tool_use", id: "t", name: "n", input: { a: 1 } }],
        stop_reason: "tool_use",
      }).message.content,
    ).toBeNull();
  });
});
