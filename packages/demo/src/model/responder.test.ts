import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import type { ChatRequestView } from "./request-view.js";
import { demoResponder } from "./responder.js";
import { type DemoModel, startDemoModel } from "./server.js";

let upstream: DemoModel;
afterEach(() => upstream?.close());

const fn = (
  name: string,
  parameters: Record<string, unknown> = { type: "object", properties: {} },
) => ({
  type: "function" as const,
  function: { name, description: name, parameters },
});
const demoTools = [fn("demo__echo"), fn("demo__add"), fn("demo__get_time")];

const openaiRequest = (body: object): ChatRequestView => ({
  wire: "openai",
  body: { model: "m", ...body },
});

const respond = (body: object) => demoResponder()(openaiRequest(body));

describe("demoResponder", () => {
  it("adds the two numbers in the user's text with an add tool", async () => {
    const turn = await respond({
      messages: [{ role: "user", content: "What is 2 + 40.5?" }],
      tools: demoTools,
    });
    expect(turn.toolCalls).toEqual([{ name: "demo__add", arguments: { a: 2, b: 40.5 } }]);
  });

  it("asks a clock tool for the time, with a timezone when the schema requires one", async () => {
    const plain = await respond({
      messages: [{ role: "user", content: "what time is it?" }],
      tools: demoTools,
    });
    expect(plain.toolCalls).toEqual([{ name: "demo__get_time", arguments: {} }]);

    const strict = await respond({
      messages: [{ role: "user", content: "Time please" }],
      tools: [fn("time__get_current_time", { type: "object", required: ["timezone"] })],
    });
    expect(strict.toolCalls).toEqual([
      { name: "time__get_current_time", arguments: { timezone: "UTC" } },
    ]);
  });

  it("echoes through an echo tool when nothing else fits", async () => {
    const turn = await respond({
      messages: [{ role: "user", content: "ping 1" }],
      tools: demoTools,
    });
    expect(turn.toolCalls).toEqual([{ name: "demo__echo", arguments: { message: "ping 1" } }]);
  });

  it("answers in text without tools, or when no tool fits", async () => {
    expect((await respond({ messages: [{ role: "user", content: "hi" }] })).text).toBe(
      "You said: hi",
    );
    const unrelated = await respond({
      messages: [{ role: "user", content: "hi" }],
      tools: [fn("fs__read")],
    });
    expect(unrelated).toEqual({ text: "You said: hi" });
  });

  it("reads user text given as content parts", async () => {
    const turn = await respond({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "part one" },
            { type: "image_url", image_url: { url: "x" } },
          ],
        },
      ],
    });
    expect(turn.text).toBe("You said: part one");
  });

  it("runs a whole tool round trip over the OpenAI wire", async () => {
    upstream = await startDemoModel();
    const client = new OpenAI({
      apiKey: "sk-demo",
      baseURL: upstream.openaiBaseUrl,
      maxRetries: 0,
    });
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "user", content: "Please add 2 and 3" },
    ];
    const first = await client.chat.completions.create({
      model: "demo",
      messages,
      tools: demoTools,
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ a: 2, b: 3 });
    expect(first.usage!.prompt_tokens).toBeGreaterThan(10);
    expect(first.usage!.completion_tokens).toBeGreaterThan(0);

    messages.push(first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: "5" });
    const second = await client.chat.completions.create({
      model: "demo",
      messages,
      tools: demoTools,
      stream: true,
    });
    let text = "";
    for await (const chunk of second) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toMatch(/^The demo__add tool says: 5\./);
  });

  it("reports failed tool results as failures", async () => {
    const turn = await demoResponder()({
      wire: "anthropic",
      body: {
        model: "m",
        max_tokens: 10,
        messages: [
          { role: "user", content: "go" },
          {
            role: "assistant",
            content: [{ type: "tool_use", id: "toolu_1", name: "fs__read", input: {} }],
          },
          {
            role: "user",
            content: [
              {
                type: "tool_result",
                tool_use_id: "toolu_1",
                content: "no such file",
                is_error: true,
              },
            ],
          },
        ],
      },
    });
    expect(turn.text).toMatch(/^The fs__read tool failed: no such file\./);
  });
});
