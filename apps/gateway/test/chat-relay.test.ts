import type { Logger } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { gatewayFor, json } from "./helpers/in-process.js";
import { closeAfterEach, upstreamForFile } from "./helpers/per-file.js";

/**
 * A chat completion for an assistant with nothing to do but answer (an
 * OpenAI backend, no MCP tools, no client tools) is relayed: the
 * upstream's chunks go to the client as they came, with the assistant's
 * name as `model`. The scripted upstream's chunks carry OpenAI's
 * `system_fingerprint` and `service_tier`, which the gateway's own renderer
 * never writes, so they show which path answered.
 */

const upstream = await upstreamForFile();
const closers = closeAfterEach();

const CLIENT_TOOL = {
  type: "function",
  function: { name: "lookup", parameters: { type: "object", properties: {} } },
};

async function open(logger?: Logger) {
  const gateway = await gatewayFor(
    {
      backends: [
        { name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-up-relay" },
      ],
      assistants: [
        {
          name: "relay",
          backend: "up",
          model: "gpt-up",
          system_prompt: "Be brief.",
          params: { temperature: 0.2 },
        },
      ],
    },
    logger ? { logger, env: {} } : { env: {} },
  );
  closers.push(() => gateway.close());
  return gateway;
}

function chat(body: Record<string, unknown>) {
  return json({ model: "relay", messages: [{ role: "user", content: "hi" }], ...body });
}

async function sseData(response: Response): Promise<string[]> {
  return (await response.text())
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: "))
    .map((frame) => frame.slice("data: ".length));
}

// biome-ignore lint/suspicious/noExplicitAny: chunks of the OpenAI wire, indexed freely.
const chunksOf = (data: string[]): any[] =>
  data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d));

describe("relayed chat completions", () => {
  it("streams the upstream's chunks with the assistant's name, after sending the request a run would", async () => {
    const gateway = await open();
    upstream.enqueue({ text: "one two three", usage: { promptTokens: 7, completionTokens: 3 } });
    const before = upstream.requests.length;
    const response = await gateway.call(
      "/v1/chat/completions",
      chat({ stream: true, max_tokens: 40 }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const data = await sseData(response);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = chunksOf(data);
    expect(chunks.every((c) => c.model === "relay")).toBe(true);
    expect(chunks.every((c) => typeof c.system_fingerprint === "string")).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("one two three");
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
    // The usage chunk is the gateway's (for its metrics), not the client's.
    expect(chunks.some((c) => c.choices.length === 0)).toBe(false);

    const sent = upstream.requests[before]?.body;
    expect(sent).toMatchObject({
      model: "gpt-up",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
      ],
      temperature: 0.2,
      max_tokens: 40,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("hands on the usage chunk when the client asks for it", async () => {
    const gateway = await open();
    upstream.enqueue({ text: "ok", usage: { promptTokens: 7, completionTokens: 1 } });
    const response = await gateway.call(
      "/v1/chat/completions",
      chat({ stream: true, stream_options: { include_usage: true } }),
    );
    const chunks = chunksOf(await sseData(response));
    expect(chunks.at(-1)).toMatchObject({
      model: "relay",
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 },
    });
  });

  it("answers a whole completion with the upstream's body and the assistant's name", async () => {
    const gateway = await open();
    upstream.enqueue({ text: "whole answer", usage: { promptTokens: 5, completionTokens: 2 } });
    const response = await gateway.call("/v1/chat/completions", chat({}));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "relay",
      system_fingerprint: expect.any(String),
      choices: [{ message: { role: "assistant", content: "whole answer" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 2 },
    });
  });

  it("renders the run itself when the client sends tools (the control of the tests above)", async () => {
    const gateway = await open();
    upstream.enqueue({ text: "rendered" });
    const response = await gateway.call(
      "/v1/chat/completions",
      chat({ stream: true, tools: [CLIENT_TOOL] }),
    );
    const chunks = chunksOf(await sseData(response));
    expect(chunks[0].model).toBe("relay");
    expect(chunks.some((c) => "system_fingerprint" in c)).toBe(false);
  });

  it("drops a tool call the model made without being offered tools, as a rendered run does", async () => {
    const gateway = await open();
    upstream.enqueue({ text: "Checking.", toolCalls: [{ name: "lookup", arguments: {} }] });
    const data = await sseData(await gateway.call("/v1/chat/completions", chat({ stream: true })));
    const chunks = chunksOf(data);
    expect(data.at(-1)).toBe("[DONE]");
    expect(chunks.some((c) => c.choices[0]?.delta?.tool_calls)).toBe(false);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Checking.");
  });

  it("answers an upstream refusal as a rendered run does: same status, same error", async () => {
    const gateway = await open();
    const refusal = {
      status: 400,
      errorMessage: "context too long",
      errorType: "invalid_request_error",
    };
    upstream.enqueue(refusal, refusal);
    const relayed = await gateway.call("/v1/chat/completions", chat({ stream: true }));
    const rendered = await gateway.call(
      "/v1/chat/completions",
      chat({ stream: true, tools: [CLIENT_TOOL] }),
    );
    expect(relayed.status).toBe(rendered.status);
    expect(relayed.status).toBeGreaterThanOrEqual(400);
    expect(await relayed.json()).toEqual(await rendered.json());
  });

  it("ends a stream that fails midway with the error event and no [DONE]", async () => {
    const gateway = await open();
    upstream.enqueue({ text: "one two three four", errorEventAfterChunks: 2 });
    const data = await sseData(await gateway.call("/v1/chat/completions", chat({ stream: true })));
    expect(data).not.toContain("[DONE]");
    expect(JSON.parse(data.at(-1) as string)).toMatchObject({
      error: { type: expect.any(String), message: expect.stringContaining("Upstream") },
    });
  });

  it("cancels the upstream call when the client goes away mid-stream", async () => {
    const gateway = await open();
    let waiting!: () => void;
    const held = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    upstream.enqueue({
      text: "one two three four",
      hold: new Promise(() => {}),
      holdAfterChunks: 2,
      onWait: waiting,
    });
    const response = await gateway.call("/v1/chat/completions", chat({ stream: true }));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await held;
    await reader.cancel();
    await upstream.waitForIdle();
    expect(upstream.activeRequests()).toBe(0);
  });

  it("logs the run, and counts it in the metrics, as a rendered run", async () => {
    const lines: Record<string, unknown>[] = [];
    const capture = (data: Record<string, unknown>, msg?: string) => lines.push({ ...data, msg });
    const gateway = await open({ debug: () => {}, info: capture, warn: capture, error: capture });
    upstream.enqueue({ text: "counted", usage: { promptTokens: 11, completionTokens: 4 } });
    await (await gateway.call("/v1/chat/completions", chat({ stream: true }))).text();
    const line = lines.find((l) => l.msg === "chat completion");
    expect(line).toMatchObject({
      assistant: "relay",
      surface: "chat",
      steps: 1,
      finishReason: "stop",
      usage: { promptTokens: 11, completionTokens: 4 },
      firstTokenMs: expect.any(Number),
    });
    const metrics = await (await gateway.call("/metrics")).text();
    expect(metrics).toMatch(
      /aiproxy_requests_total\{surface="chat",assistant="relay",status="200"\} 1/,
    );
    expect(metrics).toMatch(
      /gen_ai_client_token_usage_sum\{gen_ai_token_type="input",[^}]*assistant="relay"[^}]*\} 11/,
    );
    expect(metrics).toMatch(
      /aiproxy_time_to_first_token_seconds_count\{[^}]*assistant="relay"[^}]*\} 1/,
    );
    expect(metrics).toMatch(/aiproxy_open_streams\{surface="chat"\} 0/);
  });
});
