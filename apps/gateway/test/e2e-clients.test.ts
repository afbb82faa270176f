import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import {
  type ScriptedUpstream,
  startScriptedUpstream,
  trailingToolResults,
} from "@aiproxy/testkit";
import { ChatOpenAI } from "@langchain/openai";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayProcess, startGatewayProcess } from "./helpers/gateway-process.js";
import { answerWithToolResults } from "./helpers/upstream-turns.js";

/**
 * The gateway as a real process, reached by real client libraries, in front
 * of scripted OpenAI- and Anthropic-wire upstreams, with real MCP servers
 * from npm attached. Each test checks the tool really ran: the upstream's
 * next request carries the tool's real output.
 */

const UPSTREAM_KEY = "sk-upstream-secret-1234";
const PROXY_KEY = "proxy-key-abcdef";

let openaiUpstream: ScriptedUpstream;
let anthropicUpstream: ScriptedUpstream;
let gateway: GatewayProcess;
let client: OpenAI;
let dataDir: string;

beforeAll(async () => {
  openaiUpstream = await startScriptedUpstream({ requireApiKey: UPSTREAM_KEY });
  anthropicUpstream = await startScriptedUpstream({ requireApiKey: UPSTREAM_KEY });
  dataDir = mkdtempSync(join(tmpdir(), "aiproxy-fs-"));
  writeFileSync(join(dataDir, "notes.txt"), "the secret ingredient is cardamom\n");
  gateway = await startGatewayProcess({
    config: {
      proxy_api_keys: [PROXY_KEY],
      backends: [
        {
          name: "up-openai",
          kind: "openai",
          base_url: openaiUpstream.openaiBaseUrl,
          api_key: UPSTREAM_KEY,
        },
        {
          name: "up-anthropic",
          kind: "anthropic",
          base_url: anthropicUpstream.anthropicBaseUrl,
          api_key: UPSTREAM_KEY,
        },
      ],
      mcp_servers: [
        { name: "everything", transport: "stdio", command: "mcp-server-everything" },
        { name: "fs", transport: "stdio", command: "mcp-server-filesystem", args: [dataDir] },
        {
          name: "memory",
          transport: "stdio",
          command: "mcp-server-memory",
          env: { MEMORY_FILE_PATH: join(dataDir, "memory.jsonl") },
        },
      ],
      assistants: [
        {
          name: "tools-openai",
          backend: "up-openai",
          model: "gpt-test",
          system_prompt: "Use tools.",
          mcp_servers: ["everything", "fs", "memory"],
        },
        {
          name: "tools-anthropic",
          backend: "up-anthropic",
          model: "claude-test",
          mcp_servers: ["everything"],
        },
      ],
    },
    env: { PATH: `${join(import.meta.dirname, "..", "node_modules", ".bin")}:${process.env.PATH}` },
  });
  client = new OpenAI({ apiKey: PROXY_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  const code = await gateway?.stop();
  expect(code).toBe(0);
  await openaiUpstream?.close();
  await anthropicUpstream?.close();
});

function lastToolText(upstream: ScriptedUpstream): string {
  const request = upstream.requests.at(-1);
  if (!request) throw new Error("no upstream request");
  return trailingToolResults(request)
    .map((result) => result.text)
    .join("\n");
}

describe("official openai client", () => {
  it("runs a real MCP tool round, non-streamed, with usage summed over both steps", async () => {
    openaiUpstream.enqueue(
      {
        toolCalls: [{ name: "everything__echo", arguments: { message: "hello from e2e" } }],
        usage: { promptTokens: 100, completionTokens: 10 },
      },
      (request) => ({
        ...answerWithToolResults(request),
        usage: { promptTokens: 150, completionTokens: 20 },
      }),
    );
    const before = openaiUpstream.requests.length;
    const completion = await client.chat.completions.create({
      model: "tools-openai",
      messages: [{ role: "user", content: "echo something" }],
    });
    expect(openaiUpstream.requests.length - before).toBe(2);
    expect(lastToolText(openaiUpstream)).toContain("Echo: hello from e2e");
    expect(completion.model).toBe("tools-openai");
    expect(completion.choices[0]?.message.content).toContain("Echo: hello from e2e");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toMatchObject({
      prompt_tokens: 250,
      completion_tokens: 30,
      total_tokens: 280,
    });
    // The caller's key is never forwarded; the backend's own key is.
    const sent = openaiUpstream.requests.at(-1);
    expect(sent?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(sent)).not.toContain(PROXY_KEY);
    expect(sent?.body.model).toBe("gpt-test");
    expect(sent?.body.messages[0]).toEqual({ role: "system", content: "Use tools." });
  });

  it("streams a tool round and reports usage in the last chunk", async () => {
    openaiUpstream.enqueue(
      {
        toolCalls: [{ name: "everything__get-sum", arguments: { a: 20, b: 22 } }],
        usage: { promptTokens: 40, completionTokens: 5 },
      },
      (request) => ({
        ...answerWithToolResults(request),
        usage: { promptTokens: 60, completionTokens: 7 },
      }),
    );
    const stream = await client.chat.completions.create({
      model: "tools-openai",
      messages: [{ role: "user", content: "add 20 and 22" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(lastToolText(openaiUpstream)).toContain("42");
    expect(text).toContain("42");
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 100, completion_tokens: 12, total_tokens: 112 });
  });

  it("reads a real file through server-filesystem and stores it in server-memory", async () => {
    const file = join(dataDir, "notes.txt");
    openaiUpstream.enqueue(
      { toolCalls: [{ name: "fs__read_text_file", arguments: { path: file } }] },
      {
        toolCalls: [
          {
            name: "memory__create_entities",
            arguments: {
              entities: [{ name: "recipe", entityType: "note", observations: ["uses cardamom"] }],
            },
          },
        ],
      },
      { toolCalls: [{ name: "memory__read_graph", arguments: {} }] },
      answerWithToolResults,
    );
    const before = openaiUpstream.requests.length;
    const completion = await client.chat.completions.create({
      model: "tools-openai",
      messages: [{ role: "user", content: "remember the recipe" }],
    });
    const requests = openaiUpstream.requests.slice(before);
    expect(requests).toHaveLength(4);
    expect(trailingToolResults(requests[1]!)[0]?.text).toContain("cardamom");
    expect(trailingToolResults(requests[3]!)[0]?.text).toContain("uses cardamom");
    expect(completion.choices[0]?.message.content).toContain("recipe");
  });

  it("hands the client's own tool calls back with finish_reason tool_calls", async () => {
    openaiUpstream.enqueue({
      toolCalls: [{ name: "lookup_order", arguments: { id: "A-1" }, id: "call_client_1" }],
    });
    const completion = await client.chat.completions.create({
      model: "tools-openai",
      messages: [{ role: "user", content: "where is my order" }],
      tools: [
        {
          type: "function",
          function: {
            name: "lookup_order",
            parameters: { type: "object", properties: { id: { type: "string" } } },
          },
        },
      ],
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.tool_calls?.[0]).toMatchObject({
      id: "call_client_1",
      function: { name: "lookup_order", arguments: '{"id":"A-1"}' },
    });
    // The model was offered both the client's tool and the MCP tools.
    const offered = openaiUpstream.requests
      .at(-1)
      ?.body.tools.map((t: { function: { name: string } }) => t.function.name);
    expect(offered).toContain("lookup_order");
    expect(offered).toContain("everything__echo");
  });

  it("lists the assistants as models and refuses a wrong key", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(["tools-anthropic", "tools-openai"]);
    const stranger = new OpenAI({ apiKey: "wrong", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toMatchObject({ status: 401 });
  });

  it("answers an unknown model with 404 naming /v1/models", async () => {
    const error = await client.chat.completions
      .create({ model: "nope", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as Error).message).toContain("/v1/models");
    // OpenAI's own terms for it, which clients match on.
    expect(error).toMatchObject({ code: "model_not_found", type: "invalid_request_error" });
  });
});

describe("Anthropic-backed assistant", () => {
  it("runs the tool round over the Messages wire and answers the openai client", async () => {
    anthropicUpstream.enqueue(
      {
        text: "Let me echo.",
        toolCalls: [{ name: "everything__echo", arguments: { message: "via anthropic" } }],
        usage: { promptTokens: 30, completionTokens: 8 },
      },
      (request) => ({
        ...answerWithToolResults(request),
        usage: { promptTokens: 50, completionTokens: 9 },
      }),
    );
    const completion = await client.chat.completions.create({
      model: "tools-anthropic",
      messages: [{ role: "user", content: "echo via anthropic" }],
    });
    const last = anthropicUpstream.requests.at(-1);
    expect(last?.path).toBe("/v1/messages");
    expect(last?.headers["x-api-key"]).toBe(UPSTREAM_KEY);
    expect(lastToolText(anthropicUpstream)).toContain("Echo: via anthropic");
    expect(completion.choices[0]?.message.content).toContain("Echo: via anthropic");
    expect(completion.usage).toMatchObject({ prompt_tokens: 80, completion_tokens: 17 });
  });
});

describe("LangChain and the AI SDK", () => {
  it("@langchain/openai ChatOpenAI gets the tool-backed answer", async () => {
    openaiUpstream.enqueue(
      { toolCalls: [{ name: "everything__echo", arguments: { message: "langchain" } }] },
      answerWithToolResults,
    );
    const model = new ChatOpenAI({
      model: "tools-openai",
      apiKey: PROXY_KEY,
      configuration: { baseURL: `${gateway.url}/v1` },
      maxRetries: 0,
    });
    const reply = await model.invoke("echo langchain");
    expect(lastToolText(openaiUpstream)).toContain("Echo: langchain");
    expect(String(reply.content)).toContain("Echo: langchain");
  });

  it("the AI SDK's OpenAI-compatible provider generates and streams", async () => {
    const provider = createOpenAICompatible({
      name: "aiproxy",
      baseURL: `${gateway.url}/v1`,
      apiKey: PROXY_KEY,
      includeUsage: true,
    });
    openaiUpstream.enqueue(
      {
        toolCalls: [{ name: "everything__echo", arguments: { message: "ai sdk" } }],
        usage: { promptTokens: 11, completionTokens: 3 },
      },
      (request) => ({
        ...answerWithToolResults(request),
        usage: { promptTokens: 13, completionTokens: 5 },
      }),
    );
    const generated = await generateText({
      model: provider("tools-openai"),
      prompt: "echo ai sdk",
    });
    expect(generated.text).toContain("Echo: ai sdk");
    expect(generated.usage.inputTokens).toBe(24);
    expect(generated.usage.outputTokens).toBe(8);

    openaiUpstream.enqueue(
      { toolCalls: [{ name: "everything__echo", arguments: { message: "ai sdk stream" } }] },
      answerWithToolResults,
    );
    const streamed = streamText({ model: provider("tools-openai"), prompt: "echo ai sdk stream" });
    let text = "";
    for await (const delta of streamed.textStream) text += delta;
    expect(lastToolText(openaiUpstream)).toContain("Echo: ai sdk stream");
    expect(text).toContain("Echo: ai sdk stream");
  });
});

describe("logs", () => {
  it("write one line per chat request with steps, tool calls and usage, and no secret", async () => {
    // Lines trail their responses, so wait for the line rather than read what is there.
    const line = await gateway.waitForLog((e) => e.msg === "chat completion" && e.steps === 2);
    expect(line).toMatchObject({
      assistant: "tools-openai",
      finishReason: "stop",
      toolCalls: [expect.objectContaining({ name: "everything__echo", isError: false })],
    });
    expect(gateway.output()).not.toContain(UPSTREAM_KEY);
    expect(gateway.output()).not.toContain(PROXY_KEY);
  });
});
