import { demoResponder } from "@aiproxy/demo";
import Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startScriptedUpstream } from "./server.js";
import type { ScriptedUpstream } from "./types.js";

let upstream: ScriptedUpstream;
afterEach(() => upstream?.close());

describe("the demo responder as a fallback", () => {
  it("runs a whole tool round trip over the Anthropic wire", async () => {
    upstream = await startScriptedUpstream({ fallback: demoResponder() });
    const client = new Anthropic({ apiKey: "sk-demo", baseURL: upstream.url, maxRetries: 0 });
    const tools = [
      {
        name: "demo__echo",
        description: "echo",
        input_schema: { type: "object" as const, properties: {} },
      },
    ];
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "say cheese" }];
    const first = await client.messages.create({
      model: "claude-demo",
      max_tokens: 200,
      messages,
      tools,
    });
    const use = first.content.find((b) => b.type === "tool_use")!;
    expect(use).toMatchObject({ name: "demo__echo", input: { message: "say cheese" } });

    messages.push(
      { role: "assistant", content: first.content as Anthropic.ContentBlockParam[] },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: use.type === "tool_use" ? use.id : "",
            content: [{ type: "text", text: "Echo: say cheese" }],
          },
        ],
      },
    );
    const second = await client.messages
      .stream({ model: "claude-demo", max_tokens: 200, messages, tools })
      .finalMessage();
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content[0]).toMatchObject({
      type: "text",
      text: expect.stringMatching(/^The demo__echo tool says: Echo: say cheese\./),
    });
  });
});
