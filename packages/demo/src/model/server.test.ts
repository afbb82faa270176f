import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type DemoModel, startDemoModel } from "./server.js";

let model: DemoModel | undefined;
afterEach(() => model?.close());

const post = (path: string, body: string) =>
  fetch(`${model!.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });

describe("startDemoModel", () => {
  it("streams tool-call deltas and the usage chunk when asked", async () => {
    model = await startDemoModel();
    const client = new OpenAI({ apiKey: "unused", baseURL: model.openaiBaseUrl, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "demo-model",
      messages: [{ role: "user", content: "add 20 and 22" }],
      tools: [{ type: "function", function: { name: "demo__add", parameters: {} } }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let name = "";
    let args = "";
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let argumentDeltas = 0;
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta.tool_calls?.[0];
      name += call?.function?.name ?? "";
      if (call?.function?.arguments) argumentDeltas++;
      args += call?.function?.arguments ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(name).toBe("demo__add");
    expect(JSON.parse(args)).toEqual({ a: 20, b: 22 });
    expect(argumentDeltas).toBeGreaterThan(1);
    expect(finish).toBe("tool_calls");
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
  });

  it("answers what is not a chat request with an OpenAI error", async () => {
    model = await startDemoModel();
    const unknown = await fetch(`${model.url}/v1/embeddings`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    expect((await post("/v1/chat/completions", "{not json")).status).toBe(400);
    expect((await post("/v1/chat/completions", JSON.stringify({ model: "m" }))).status).toBe(400);
    const plain = await post(
      "/chat/completions",
      JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(await plain.json()).toMatchObject({
      object: "chat.completion",
      model: "m",
      choices: [{ message: { content: "You said: hi" }, finish_reason: "stop" }],
    });
  });

  it("stops listening when its signal aborts", async () => {
    const controller = new AbortController();
    model = await startDemoModel({ signal: controller.signal });
    controller.abort();
    await model.close();
    await expect(fetch(`${model.url}/v1/chat/completions`, { method: "POST" })).rejects.toThrow();
    await expect(startDemoModel({ signal: controller.signal })).rejects.toThrow();
  });
});
