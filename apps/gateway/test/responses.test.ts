import { join } from "node:path";
import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { gatewayFor, json, openAIError } from "./helpers/in-process.js";
import { answerWithToolResults } from "./helpers/upstream-turns.js";

/**
 * `/v1/responses` through `app.fetch`, in front of a scripted OpenAI-wire
 * upstream with a real MCP server: the response objects and events, the
 * stored conversation and who may read it, and every bad input's error.
 */

const KEY = "proxy-key-responses-a";
const OTHER_KEY = "proxy-key-responses-b";
const EVERYTHING = join(import.meta.dirname, "..", "node_modules", ".bin", "mcp-server-everything");

let upstream: ScriptedUpstream;
let gateway: Awaited<ReturnType<typeof gatewayFor>>;

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  gateway = await gatewayFor({
    proxy_api_keys: [KEY, OTHER_KEY],
    backends: [{ name: "oa", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-1" }],
    mcp_servers: [
      { name: "everything", transport: "stdio", command: EVERYTHING },
      { name: "remote", transport: "streamable-http", url: "http://127.0.0.1:9/mcp" },
    ],
    assistants: [
      { name: "plain", backend: "oa", model: "gpt-x", system_prompt: "Be brief." },
      { name: "tools", backend: "oa", model: "gpt-x", mcp_servers: ["everything"] },
    ],
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

function post(body: unknown, key = KEY) {
  return gateway.call("/v1/responses", json(body, { authorization: `Bearer ${key}` }));
}

function get(path: string, key = KEY, method = "GET") {
  return gateway.call(path, { method, headers: { authorization: `Bearer ${key}` } });
}

async function ok(body: unknown, key = KEY) {
  const response = await post(body, key);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text);
}

async function sse(response: Response) {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("event: "))
    .map((frame) => {
      const [eventLine, dataLine] = frame.split("\n");
      const data = JSON.parse(dataLine?.slice("data: ".length) ?? "{}");
      expect(eventLine?.slice("event: ".length)).toBe(data.type);
      return data;
    });
}

describe("POST /v1/responses", () => {
  it("a text answer is a response object: resp_ id, a message item, usage in Responses' names", async () => {
    upstream.enqueue({
      text: "Hello there",
      usage: { promptTokens: 12, completionTokens: 3, cachedTokens: 4 },
    });
    const body = await ok({ model: "plain", input: "Say hello", metadata: { k: "v" } });
    expect(body).toMatchObject({
      object: "response",
      status: "completed",
      model: "plain",
      metadata: { k: "v" },
      store: true,
      error: null,
      incomplete_details: null,
      usage: {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 3,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 15,
      },
    });
    expect(body.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(body.output).toHaveLength(1);
    expect(body.output[0]).toMatchObject({
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "Hello there", annotations: [] }],
    });
    expect(body.output[0].id).toMatch(/^msg_/);
    const sent = upstream.requests.at(-1)?.body;
    expect(sent.model).toBe("gpt-x");
    expect(sent.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Say hello" }] },
    ]);
  });

  it("instructions replace the assistant's system prompt; parameters reach the upstream in chat's names", async () => {
    upstream.enqueue({ text: '{"a":1}' });
    await ok({
      model: "plain",
      instructions: "Answer in JSON.",
      input: [{ role: "user", content: [{ type: "input_text", text: "go" }] }],
      temperature: 0.2,
      top_p: 0.9,
      max_output_tokens: 77,
      reasoning: { effort: "low" },
      text: {
        format: {
          type: "json_schema",
          name: "thing",
          schema: { type: "object", properties: { a: { type: "number" } } },
          strict: true,
        },
      },
    });
    const sent = upstream.requests.at(-1)?.body;
    expect(sent.messages[0]).toEqual({ role: "system", content: "Answer in JSON." });
    expect(sent).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 77,
      reasoning_effort: "low",
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "thing",
          schema: { type: "object", properties: { a: { type: "number" } } },
          strict: true,
        },
      },
    });
  });

  it("a length stop is an incomplete response with its reason", async () => {
    upstream.enqueue({ text: "cut", finishReason: "length" });
    const body = await ok({ model: "plain", input: "long" });
    expect(body.status).toBe("incomplete");
    expect(body.incomplete_details).toEqual({ reason: "max_output_tokens" });
  });

  it("streams the documented events, numbered from 0, ending in response.completed", async () => {
    upstream.enqueue({ text: "one two three" });
    const response = await post({ model: "plain", input: "count", stream: true });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events = await sse(response);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
    ]);
    expect(types.slice(-4)).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const deltas = events.filter((e) => e.type === "response.output_text.delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((e) => e.delta).join("")).toBe("one two three");
    const completed = events.at(-1);
    expect(completed.response.output[0].content[0].text).toBe("one two three");
    expect(events[0].response.status).toBe("in_progress");
    expect(events[0].response.output).toEqual([]);
  });

  it("a server-side MCP round is an mcp_call item with server_label, name, arguments and output; usage sums both steps", async () => {
    upstream.enqueue(
      {
        toolCalls: [{ name: "everything__echo", arguments: { message: "via mcp" } }],
        usage: { promptTokens: 10, completionTokens: 2 },
      },
      (request) => ({
        ...answerWithToolResults(request),
        usage: { promptTokens: 20, completionTokens: 5 },
      }),
    );
    const response = await post({ model: "tools", input: "Echo via mcp", stream: true });
    const events = await sse(response);
    const types = events.map((e) => e.type);
    for (const type of [
      "response.mcp_call_arguments.done",
      "response.mcp_call.in_progress",
      "response.mcp_call.completed",
    ])
      expect(types).toContain(type);
    const final = events.at(-1).response;
    expect(final.output.map((item: { type: string }) => item.type)).toEqual([
      "mcp_call",
      "message",
    ]);
    expect(final.output[0]).toMatchObject({
      type: "mcp_call",
      server_label: "everything",
      name: "echo",
      arguments: '{"message":"via mcp"}',
      error: null,
      status: "completed",
    });
    expect(final.output[0].output).toContain("Echo: via mcp");
    expect(final.output[1].content[0].text).toContain("Tool said: Echo: via mcp");
    expect(final.usage).toMatchObject({ input_tokens: 30, output_tokens: 7, total_tokens: 37 });
  });

  it("an mcp tool naming the assistant's server narrows to its allowed_tools and lists them first", async () => {
    upstream.enqueue({ text: "fine" });
    const body = await ok({
      model: "tools",
      input: "hi",
      tools: [
        {
          type: "mcp",
          server_label: "everything",
          allowed_tools: ["echo"],
          require_approval: "never",
        },
      ],
    });
    const offered = upstream.requests
      .at(-1)
      ?.body.tools.map((t: { function: { name: string } }) => t.function.name);
    expect(offered).toEqual(["everything__echo"]);
    expect(body.output[0]).toMatchObject({ type: "mcp_list_tools", server_label: "everything" });
    expect(body.output[0].tools.map((t: { name: string }) => t.name)).toEqual(["echo"]);
  });

  it("hosted tools are dropped, not refused, and named in x-aiproxy-dropped-tools", async () => {
    upstream.enqueue({ text: "no search here" });
    const response = await post({
      model: "plain",
      input: "search",
      tools: [
        { type: "web_search" },
        { type: "file_search", vector_store_ids: [] },
        { type: "web_search" },
      ],
      include: ["reasoning.encrypted_content"],
      prompt_cache_key: "abc",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-aiproxy-dropped-tools")).toBe("web_search,file_search");
    expect(upstream.requests.at(-1)?.body.tools).toBeUndefined();
  });
});

describe("a Codex-shaped request (store: false, the whole history each turn)", () => {
  it("is accepted as sent: developer messages, function history, namespace tools flattened, hosted tools dropped", async () => {
    upstream.enqueue({ text: "done" });
    const response = await post({
      model: "plain",
      instructions: "You are a coding agent.",
      input: [
        {
          type: "message",
          role: "developer",
          content: [{ type: "input_text", text: "sandbox: none" }],
        },
        { type: "message", role: "user", content: [{ type: "input_text", text: "list files" }] },
        { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "opaque" },
        {
          type: "function_call",
          call_id: "call_s1",
          name: "shell",
          arguments: '{"command":["ls"]}',
        },
        { type: "function_call_output", call_id: "call_s1", output: "a.txt\nb.txt" },
      ],
      tools: [
        {
          type: "function",
          name: "shell",
          parameters: { type: "object", properties: {} },
          strict: false,
        },
        {
          type: "namespace",
          name: "ns",
          description: "d",
          tools: [
            { type: "function", name: "spawn_agent", parameters: { type: "object" } },
            { type: "custom", name: "freeform" },
          ],
        },
        { type: "web_search" },
      ],
      tool_choice: "auto",
      parallel_tool_calls: false,
      reasoning: { effort: "medium", summary: "auto" },
      store: false,
      stream: true,
      include: ["reasoning.encrypted_content"],
      prompt_cache_key: "conv-1",
      client_metadata: { originator: "codex" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-aiproxy-dropped-tools")).toBe("web_search");
    const events = await sse(response);
    expect(events.at(-1).type).toBe("response.completed");
    const sent = upstream.requests.at(-1)?.body;
    expect(sent.messages.map((m: { role: string }) => m.role)).toEqual([
      "system",
      "developer",
      "user",
      "assistant",
      "tool",
    ]);
    expect(sent.messages[3].tool_calls[0]).toMatchObject({
      id: "call_s1",
      function: { name: "shell" },
    });
    expect(sent.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual([
      "shell",
      "ns__spawn_agent",
    ]);
    expect(sent).toMatchObject({ parallel_tool_calls: false, reasoning_effort: "medium" });
  });

  it("a call to a namespace tool is a function_call with its own name and the namespace, and comes back as one", async () => {
    const tools = [
      {
        type: "namespace",
        name: "agents",
        tools: [{ type: "function", name: "spawn", parameters: { type: "object" } }],
      },
    ];
    upstream.enqueue({
      toolCalls: [{ id: "call_ns", name: "agents__spawn", arguments: { task: "x" } }],
    });
    const first = await ok({ model: "plain", input: "spawn one", tools, store: false });
    expect(first.output[0]).toMatchObject({
      type: "function_call",
      call_id: "call_ns",
      name: "spawn",
      namespace: "agents",
    });
    upstream.enqueue({ text: "spawned" });
    await ok({
      model: "plain",
      store: false,
      tools,
      input: [
        { role: "user", content: "spawn one" },
        {
          type: "function_call",
          call_id: "call_ns",
          name: "spawn",
          namespace: "agents",
          arguments: "{}",
        },
        { type: "function_call_output", call_id: "call_ns", output: "agent 7" },
      ],
    });
    const sent = upstream.requests.at(-1)?.body;
    expect(sent.messages[2].tool_calls[0].function.name).toBe("agents__spawn");
  });
});

describe("conversation state", () => {
  it("a client function tool round trip: function_call out, function_call_output back with previous_response_id", async () => {
    upstream.enqueue({
      toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" }, id: "call_w1" }],
    });
    const weather = {
      type: "function",
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    };
    const first = await ok({ model: "tools", input: "Weather in Oslo?", tools: [weather] });
    expect(first.output).toEqual([
      expect.objectContaining({
        type: "function_call",
        call_id: "call_w1",
        name: "get_weather",
        arguments: '{"city":"Oslo"}',
        status: "completed",
      }),
    ]);

    upstream.enqueue(answerWithToolResults);
    const second = await ok({
      model: "tools",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "call_w1", output: "sunny, 21 C" }],
      tools: [weather],
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output[0].content[0].text).toBe("Tool said: sunny, 21 C");
    const sent = upstream.requests.at(-1)?.body.messages;
    expect(sent.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(sent[1].tool_calls[0]).toMatchObject({
      id: "call_w1",
      function: { name: "get_weather" },
    });
  });

  it("GET, input_items and DELETE work for the owner; another key gets 404s", async () => {
    upstream.enqueue({ text: "stored" });
    const body = await ok({ model: "plain", input: [{ role: "user", content: "keep me" }] });
    const read = await get(`/v1/responses/${body.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(body);

    const items = await (await get(`/v1/responses/${body.id}/input_items`)).json();
    expect(items).toMatchObject({ object: "list", has_more: false });
    expect(items.data).toEqual([
      expect.objectContaining({
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "keep me" }],
      }),
    ]);
    expect(items.first_id).toBe(items.data[0].id);

    for (const path of [`/v1/responses/${body.id}`, `/v1/responses/${body.id}/input_items`]) {
      const stranger = await get(path, OTHER_KEY);
      expect(stranger.status).toBe(404);
      expect((await openAIError(stranger)).param).toBe("response_id");
    }
    expect((await get(`/v1/responses/${body.id}`, OTHER_KEY, "DELETE")).status).toBe(404);
    const continued = await post(
      { model: "plain", previous_response_id: body.id, input: "more" },
      OTHER_KEY,
    );
    expect(continued.status).toBe(404);
    expect((await openAIError(continued)).param).toBe("previous_response_id");

    const deleted = await get(`/v1/responses/${body.id}`, KEY, "DELETE");
    expect(await deleted.json()).toEqual({ id: body.id, object: "response", deleted: true });
    expect((await get(`/v1/responses/${body.id}`)).status).toBe(404);
  });

  it("a stored response expires after responses.ttl", async () => {
    const short = await gatewayFor({
      proxy_api_keys: [KEY],
      responses: { ttl: 60 },
      backends: [{ name: "oa", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-1" }],
      assistants: [{ name: "plain", backend: "oa", model: "gpt-x" }],
    });
    const auth = { authorization: `Bearer ${KEY}` };
    try {
      vi.useFakeTimers({ toFake: ["Date"] });
      upstream.enqueue({ text: "brief" });
      const created = await short.call("/v1/responses", json({ model: "plain", input: "x" }, auth));
      const { id } = await created.json();
      vi.setSystemTime(Date.now() + 59_000);
      expect((await short.call(`/v1/responses/${id}`, { headers: auth })).status).toBe(200);
      vi.setSystemTime(Date.now() + 2_000);
      expect((await short.call(`/v1/responses/${id}`, { headers: auth })).status).toBe(404);
    } finally {
      vi.useRealTimers();
      await short.close();
    }
  });

  it("store: false keeps nothing", async () => {
    upstream.enqueue({ text: "gone" });
    const body = await ok({ model: "plain", input: "x", store: false });
    expect(body.store).toBe(false);
    expect((await get(`/v1/responses/${body.id}`)).status).toBe(404);
  });

  it("the full history sent again with previous_response_id is accepted when it matches", async () => {
    upstream.enqueue({ text: "first answer" });
    const first = await ok({ model: "plain", input: [{ role: "user", content: "q1" }] });
    upstream.enqueue({ text: "second answer" });
    await ok({
      model: "plain",
      previous_response_id: first.id,
      input: [{ role: "user", content: "q1" }, first.output[0], { role: "user", content: "q2" }],
    });
    const sent = upstream.requests.at(-1)?.body.messages;
    expect(sent.map((m: { role: string }) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "user",
    ]);
  });
});

describe("bad input: OpenAI's error shape, status and param", () => {
  async function refused(body: unknown, status: number, param: string | null) {
    const response = await post(body);
    expect(response.status).toBe(status);
    const error = await openAIError(response);
    expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(error.param).toBe(param);
    return error;
  }

  it("an unknown item type", async () => {
    const error = await refused(
      {
        model: "plain",
        input: [
          { role: "user", content: "hi" },
          { type: "telepathy", data: 1 },
        ],
      },
      400,
      "input[1].type",
    );
    expect(error.message).toContain("telepathy");
  });

  it("a function_call_output with no matching call", async () => {
    await refused(
      {
        model: "plain",
        input: [{ type: "function_call_output", call_id: "call_nope", output: "x" }],
      },
      400,
      "input[0].call_id",
    );
  });

  it("an unknown previous_response_id is a 404", async () => {
    await refused(
      { model: "plain", previous_response_id: "resp_nope", input: "x" },
      404,
      "previous_response_id",
    );
  });

  it("previous_response_id with a history that contradicts it", async () => {
    upstream.enqueue({ text: "answer" });
    const first = await ok({ model: "plain", input: [{ role: "user", content: "original" }] });
    await refused(
      {
        model: "plain",
        previous_response_id: first.id,
        input: [
          { role: "user", content: "rewritten" },
          first.output[0],
          { role: "user", content: "next" },
        ],
      },
      400,
      "input[0]",
    );
  });

  it("an mcp tool whose server_label is not the assistant's, or with a server_url, is refused and never fetched", async () => {
    await refused(
      { model: "plain", input: "x", tools: [{ type: "mcp", server_label: "everything" }] },
      400,
      "tools[0].server_label",
    );
    const before = upstream.requests.length;
    const error = await refused(
      {
        model: "tools",
        input: "x",
        tools: [{ type: "mcp", server_label: "everything", server_url: "http://127.0.0.1:9/evil" }],
      },
      400,
      "tools[0].server_url",
    );
    expect(error.message).toContain("never fetches");
    expect(upstream.requests.length).toBe(before);
  });

  it("wrong field types name the field; an unknown model is a 404", async () => {
    await refused({ model: "plain", input: "x", temperature: "hot" }, 400, "temperature");
    await refused(
      { model: "plain", input: [{ role: "user", content: [{ type: "input_text" }] }] },
      400,
      "input[0].content",
    );
    await refused({ model: "nobody", input: "x" }, 404, "model");
  });
});
