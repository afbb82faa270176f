/**
 * Fuzzing every body-taking surface with random and adversarial JSON
 * (deep, huge, unicode, wrong types, huge numbers, prototype keys, cut short,
 * not JSON, not sent as JSON). The invariant, per request: a 2xx, or a 4xx in
 * the surface's own error shape; never a 5xx, never a stack trace in the body.
 * After each surface the server is still healthy: `/health` is 200 and a
 * normal chat still answers.
 *
 * CI runs a short, fixed-seed pass (FUZZ_RUNS=150 per surface, < 30 s):
 *
 *   pnpm exec vitest run test/hardening/fuzz.test.ts
 *
 * A longer hunt, with another seed:
 *
 *   FUZZ_RUNS=5000 FUZZ_SEED=$RANDOM pnpm exec vitest run test/hardening/fuzz.test.ts
 *
 * A failure prints the seed, the path and the shrunk body that reproduce it.
 * A new surface (Responses, MCP) adds one entry to SURFACES.
 */
import { request as httpRequest } from "node:http";
import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedGateway } from "../helpers/in-process.js";
import { anyJsonText, type BodyKit, bodyText, contentType, j } from "./fuzz-bodies.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
/** Long runs take their time; the CI pass stays far below this. */
const TIMEOUT_MS = Math.max(60_000, RUNS * 100);

interface FuzzSurface {
  name: string;
  method: "POST" | "PUT";
  path: string;
  body: fc.Arbitrary<string>;
  /** Sent with every request, e.g. the `Accept` an MCP client sends. */
  headers?: Record<string, string>;
  /** Fails unless `text` is an error body in this surface's wire format. */
  expectError(text: string): void;
}

/** `{"error": {"message", "type", "param", "code"}}`: chat and admin both answer this way. */
function expectOpenAIError(text: string): void {
  const { error } = JSON.parse(text);
  expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof error.message).toBe("string");
  expect(typeof error.type).toBe("string");
  expect(error.param === null || typeof error.param === "string").toBe(true);
  expect(error.code === null || typeof error.code === "string").toBe(true);
}

/** `{"jsonrpc": "2.0", "error": {"code", "message"}, "id"}`: the MCP endpoint. */
function expectJsonRpcError(text: string): void {
  const body = JSON.parse(text);
  expect(body.jsonrpc).toBe("2.0");
  expect(Number.isInteger(body.error.code)).toBe(true);
  expect(typeof body.error.message).toBe("string");
  expect("id" in body).toBe(true);
}

/** `{"type": "error", "error": {"type", "message"}}`: Anthropic's Messages API. */
function expectAnthropicError(text: string): void {
  const body = JSON.parse(text);
  expect(body.type).toBe("error");
  expect(typeof body.error.type).toBe("string");
  expect(typeof body.error.message).toBe("string");
}

// Nothing a fuzzed body names may lead off loopback: port 9 (discard) refuses.
const LOOPBACK_URL = "http://127.0.0.1:9/v1";

function chatBody(k: BodyKit) {
  const textPart = k.object({ type: k.text("text"), text: k.text("hi") }, ["type", "text"]);
  const imagePart = k.object(
    {
      type: k.text("image_url"),
      image_url: k.mostly(
        k.object({ url: k.text("data:image/png;base64,AA=="), detail: k.text("low") }, ["url"]),
      ),
    },
    ["type", "image_url"],
  );
  const message = k.object(
    {
      role: k.oneOf(['"user"', '"system"', '"developer"'], ['"assistant"', '"tool"', '"x"']),
      content: k.mostly(
        fc.oneof(
          k.text("hi", "", "👋🏽 مرحبا \u202e"),
          k.array(fc.oneof(textPart, imagePart), 3, 1),
        ),
      ),
      tool_calls: k.mostly(
        k.array(
          k.object({
            id: k.text("call_1"),
            type: k.text("function"),
            function: k.mostly(k.object({ name: k.text("f"), arguments: k.text("{}", "{") })),
          }),
        ),
      ),
      tool_call_id: k.text("call_1"),
      name: k.text("n"),
    },
    ["role", "content"],
  );
  const tool = k.object(
    {
      type: k.text("function"),
      function: k.mostly(
        k.object(
          {
            name: k.oneOf(['"get_weather"'], ['"bad name!"', '""']),
            description: k.text("d"),
            parameters: k.mostly(fc.constant('{"type":"object","properties":{}}')),
            strict: k.oneOf(["true", "false", "null"]),
          },
          ["name"],
        ),
      ),
    },
    ["type", "function"],
  );
  return k.object(
    {
      // Only "a" exists; other names must be a clean 404.
      model: k.oneOf(['"a"'], ['"missing"', '""']),
      messages: k.mostly(k.array(message, 4, 1)),
      stream: k.oneOf(["true", "false", "null"]),
      stream_options: k.mostly(fc.constant('{"include_usage":true}')),
      tools: k.mostly(k.array(tool)),
      tool_choice: k.oneOf(['"auto"', '"none"'], ['"required"', '"sometimes"']),
      temperature: k.oneOf(["0", "0.7", "2"], ["-1", "1e309", "3"]),
      max_tokens: k.oneOf(["1", "16"], ["0", "1.5", "123456789012345678901234567890"]),
      n: k.oneOf(["1"], ["2", "0"]),
      stop: k.oneOf(['"x"', '["a","b"]'], ['["a","b","c","d","e"]']),
      seed: k.oneOf(["1", "null", "9007199254740993"]),
      response_format: k.mostly(
        fc.constantFrom(
          '{"type":"json_object"}',
          '{"type":"json_schema","json_schema":{"name":"o","schema":{"type":"object"}}}',
        ),
      ),
      logit_bias: k.mostly(fc.constant('{"50256":-100}')),
      metadata: k.mostly(fc.constant('{"k":"v"}')),
      user: k.text("u"),
    },
    ["model", "messages"],
  );
}

function messagesBody(k: BodyKit) {
  const block = fc.oneof(
    k.object({ type: k.text("text"), text: k.text("hi", "👋🏽 مرحبا") }, ["type", "text"]),
    k.object(
      {
        type: k.text("image"),
        source: k.mostly(
          k.object(
            { type: k.text("base64"), media_type: k.text("image/png"), data: k.text("AA==") },
            ["type", "media_type", "data"],
          ),
        ),
      },
      ["type", "source"],
    ),
    k.object(
      {
        type: k.text("document"),
        source: k.mostly(k.object({ type: k.text("text", "content", "pdf"), data: k.text("doc") })),
        title: k.text("t"),
      },
      ["type", "source"],
    ),
    k.object(
      {
        type: k.text("tool_use"),
        id: k.text("tu_1"),
        name: k.text("f"),
        input: k.mostly(fc.constant("{}")),
      },
      ["type", "id", "name", "input"],
    ),
    k.object(
      {
        type: k.text("tool_result"),
        tool_use_id: k.text("tu_1"),
        content: k.text("r"),
        is_error: k.oneOf(["false"]),
      },
      ["type", "tool_use_id"],
    ),
    k.object({
      type: k.oneOf(['"thinking"'], ['"redacted_thinking"', '"server_tool_use"']),
      thinking: k.text("hm"),
      signature: k.text("sig"),
    }),
  );
  const message = k.object(
    {
      role: k.oneOf(['"user"'], ['"assistant"', '"system"', '"tool"']),
      content: k.mostly(fc.oneof(k.text("hi", ""), k.array(block, 3, 1))),
    },
    ["role", "content"],
  );
  return k.object(
    {
      model: k.oneOf(['"a"'], ['"missing"', '""']),
      max_tokens: k.oneOf(["16", "1024"], ["0", "-1", "1.5", "1e309"]),
      messages: k.mostly(k.array(message, 4, 1)),
      system: k.mostly(
        fc.oneof(
          k.text("be brief"),
          k.array(k.object({ type: k.text("text"), text: k.text("s") }, ["type", "text"])),
        ),
      ),
      stream: k.oneOf(["true", "false", "null"]),
      tools: k.mostly(
        k.array(
          k.object(
            {
              name: k.oneOf(['"get_weather"'], ['""']),
              description: k.text("d"),
              input_schema: k.mostly(fc.constant('{"type":"object","properties":{}}')),
              type: k.oneOf(['"custom"'], ['"web_search_20250305"', '"bash_20250124"']),
            },
            ["name"],
          ),
        ),
      ),
      tool_choice: k.oneOf(
        ['{"type":"auto"}', '{"type":"none"}'],
        ['{"type":"tool"}', '{"type":"any"}'],
      ),
      temperature: k.oneOf(["0", "1"], ["2", "-1"]),
      top_k: k.oneOf(["5"], ["-1", "1.5"]),
      stop_sequences: k.mostly(fc.constant('["x"]')),
      thinking: k.mostly(
        fc.constantFrom('{"type":"disabled"}', '{"type":"enabled","budget_tokens":1024}'),
      ),
      metadata: k.mostly(fc.constant('{"user_id":"u"}')),
    },
    ["model", "max_tokens", "messages"],
  );
}

function responsesBody(k: BodyKit) {
  const part = fc.oneof(
    k.object({ type: k.text("input_text"), text: k.text("hi", "👋🏽 مرحبا \u202e") }, [
      "type",
      "text",
    ]),
    k.object(
      {
        type: k.text("input_image"),
        image_url: k.text("data:image/png;base64,AA=="),
        detail: k.text("low"),
      },
      ["type"],
    ),
    k.object(
      {
        type: k.text("input_file"),
        file_data: k.text("data:text/plain,hello", "data:text/plain,%E0%A4%A"),
        filename: k.text("a.txt"),
      },
      ["type"],
    ),
    k.object({ type: k.text("output_text"), text: k.text("earlier") }, ["type", "text"]),
  );
  const item = fc.oneof(
    k.object(
      {
        type: k.oneOf(['"message"'], ['"telepathy"']),
        role: k.oneOf(['"user"', '"developer"', '"system"'], ['"assistant"', '"tool"']),
        content: k.mostly(fc.oneof(k.text("hi", ""), k.array(part, 3, 1))),
      },
      ["role", "content"],
    ),
    k.object(
      {
        type: k.text("function_call"),
        call_id: k.text("call_1"),
        name: k.text("f"),
        arguments: k.text("{}", "{"),
      },
      ["type", "call_id", "name", "arguments"],
    ),
    k.object(
      {
        type: k.text("function_call_output"),
        call_id: k.text("call_1", "call_x"),
        output: k.text("r"),
      },
      ["type", "call_id", "output"],
    ),
    k.object(
      { type: k.text("reasoning"), id: k.text("rs_1"), summary: k.mostly(fc.constant("[]")) },
      ["type"],
    ),
    k.object({ type: k.text("item_reference"), id: k.text("msg_1") }, ["type", "id"]),
  );
  const tool = fc.oneof(
    k.object(
      {
        type: k.text("function"),
        name: k.oneOf(['"get_weather"'], ['"bad name!"', '""']),
        parameters: k.mostly(fc.constant('{"type":"object","properties":{}}')),
        strict: k.oneOf(["true", "false", "null"]),
      },
      ["type", "name"],
    ),
    k.object(
      {
        type: k.text("mcp"),
        server_label: k.text("everything", ""),
        // Never fetched: refused before anything runs.
        server_url: k.oneOf([j(`${LOOPBACK_URL}/mcp`)], ['"nope"']),
        allowed_tools: k.mostly(fc.constant('["echo"]')),
        require_approval: k.oneOf(['"never"', '"always"']),
      },
      ["type", "server_label"],
    ),
    k.object({ type: k.oneOf(['"web_search"', '"file_search"', '"namespace"', '"custom"']) }, [
      "type",
    ]),
  );
  return k.object(
    {
      model: k.oneOf(['"a"'], ['"missing"', '""']),
      input: k.mostly(fc.oneof(k.text("hi", ""), k.array(item, 4, 1))),
      instructions: k.text("be brief"),
      tools: k.mostly(k.array(tool)),
      tool_choice: k.oneOf(
        ['"auto"', '"none"'],
        ['"required"', '{"type":"function","name":"f"}', '{"type":"web_search"}'],
      ),
      parallel_tool_calls: k.oneOf(["true", "false"]),
      max_output_tokens: k.oneOf(["16"], ["0", "1.5", "1e309"]),
      temperature: k.oneOf(["0", "1"], ["3", "-1"]),
      top_p: k.oneOf(["0.5"], ["2"]),
      text: k.mostly(
        fc.constantFrom(
          '{"format":{"type":"text"}}',
          '{"format":{"type":"json_object"}}',
          '{"format":{"type":"json_schema","name":"o","schema":{"type":"object"}}}',
          '{"format":{"type":"xml"}}',
        ),
      ),
      reasoning: k.mostly(fc.constant('{"effort":"low","summary":"auto"}')),
      metadata: k.mostly(fc.constant('{"k":"v"}')),
      store: k.oneOf(["true", "false"]),
      stream: k.oneOf(["true", "false", "null"]),
      previous_response_id: k.text("resp_missing"),
      background: k.oneOf(["false"], ["true"]),
      include: k.mostly(fc.constant('["reasoning.encrypted_content"]')),
      prompt_cache_key: k.text("k"),
    },
    ["model", "input"],
  );
}

function assistantBody(k: BodyKit) {
  return k.object(
    {
      name: k.oneOf(['"x"'], ['"y"']),
      backend: k.oneOf(['"up"'], ['"missing"', '"x"']),
      model: k.text("m"),
      description: k.text("d"),
      system_prompt: k.text("be brief"),
      mcp_servers: k.oneOf(["[]"], ['["missing"]', '"missing"']),
      max_tool_iterations: k.oneOf(["0", "3"], ["-1", "1.5", "1e309"]),
      temperature: k.oneOf(["0.5"], ["9"]),
      params: k.mostly(fc.constant('{"temperature":0.2,"max_tokens":10}')),
      extra_body: k.mostly(fc.constant('{"k":1}')),
      tool_allowlist: k.mostly(fc.constant('["a__b"]')),
      tool_descriptions: k.mostly(fc.constant('{"a__b":"d"}')),
      tool_arguments: k.mostly(fc.constant('{"a__b":{"k":1}}')),
      tool_result_max_chars: k.oneOf(["100"], ["0"]),
      tool_activity: k.oneOf(["true", "false"], ['"yes"', "1"]),
    },
    ["backend", "model"],
  );
}

function backendBody(k: BodyKit) {
  return k.object(
    {
      name: k.oneOf(['"x"'], ['"y"']),
      kind: k.oneOf(['"openai"', '"anthropic"', '"demo"'], ['"other"']),
      base_url: k.oneOf([j(LOOPBACK_URL)], ['"not a url"', '"ftp://127.0.0.1/"']),
      api_key: k.text("sk-fuzz-1234"),
      default_headers: k.mostly(fc.constant('{"x-k":"v"}')),
      timeout: k.oneOf(["1", "30"], ["0", "-1", '"10s"', "1e309"]),
      connect_timeout: k.oneOf(["1"], ["0"]),
      max_retries: k.oneOf(["0", "2"], ["-1", "1.5"]),
      max_response_bytes: k.oneOf(['"1mb"'], ["0", '"lots"', "1e309"]),
      max_event_bytes: k.oneOf(['"64kb"'], ['"-1kb"']),
      anthropic_version: k.text("2023-06-01"),
    },
    ["kind", "base_url"],
  );
}

function mcpBody(k: BodyKit) {
  return k.object(
    {
      name: k.oneOf(['"x"'], ['"y"']),
      // stdio is refused (admin.allow_stdio: false), so no body can spawn a process.
      transport: k.oneOf(['"sse"', '"streamable-http"', '"http"'], ['"stdio"', '"ws"']),
      type: k.oneOf(['"sse"'], ['"stdio"']),
      command: k.text("node", "/bin/sh"),
      args: k.mostly(fc.constant('["-e","1"]')),
      env: k.mostly(fc.constant('{"A":"1"}')),
      cwd: k.text("/tmp"),
      url: k.oneOf([j(`${LOOPBACK_URL}/mcp`)], ['"nope"']),
      headers: k.mostly(fc.constant('{"x-k":"v"}')),
      timeout: k.oneOf(["1"], ["0", "-5"]),
      enabled: k.oneOf(["true", "false"], ['"no"']),
    },
    ["transport", "url"],
  );
}

function mcpRpcBody(k: BodyKit) {
  const initialize = j({
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "fuzz", version: "1" },
  });
  return k.object(
    {
      jsonrpc: k.oneOf(['"2.0"'], ['"1.0"', "2"]),
      id: k.oneOf(["1", '"a"'], ["null", "{}", "1.5"]),
      // Without a session only initialize is taken; every other method is a clean 400.
      method: k.oneOf(['"initialize"'], ['"tools/list"', '"tools/call"', '"no/such"', '""']),
      params: k.mostly(fc.constantFrom(initialize, '{"name":"x","arguments":{}}')),
    },
    ["jsonrpc", "method", "params"],
  );
}

const SURFACES: FuzzSurface[] = [
  {
    name: "chat",
    method: "POST",
    path: "/v1/chat/completions",
    body: bodyText(chatBody),
    expectError: expectOpenAIError,
  },
  {
    name: "messages",
    method: "POST",
    path: "/v1/messages",
    body: bodyText(messagesBody),
    expectError: expectAnthropicError,
  },
  {
    name: "responses",
    method: "POST",
    path: "/v1/responses",
    body: bodyText(responsesBody),
    expectError: expectOpenAIError,
  },
  {
    name: "MCP endpoint",
    method: "POST",
    path: "/mcp",
    body: bodyText(mcpRpcBody),
    headers: { accept: "application/json, text/event-stream" },
    expectError: expectJsonRpcError,
  },
  {
    name: "admin assistants",
    method: "PUT",
    path: "/admin/assistants/x",
    body: bodyText(assistantBody),
    expectError: expectOpenAIError,
  },
  {
    name: "admin backends",
    method: "PUT",
    path: "/admin/backends/x",
    body: bodyText(backendBody),
    expectError: expectOpenAIError,
  },
  {
    name: "admin MCP servers",
    method: "PUT",
    path: "/admin/mcp/x",
    body: bodyText(mcpBody),
    expectError: expectOpenAIError,
  },
];

const BODY_LIMIT_BYTES = 1024 * 1024;
const STACK_TRACE = /\n\s+at .*[.:]\w*:\d+|\bat (?:async )?\S+ \(.*:\d+:\d+\)/;

let upstream: ScriptedUpstream;

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  upstream.setFallback(() => ({ text: "ok" }));
});
afterAll(async () => {
  await upstream?.close();
});

describe.each(SURFACES)("fuzzing $name ($method $path)", (surface) => {
  // A gateway per surface: what one surface's fuzz creates cannot reach another's.
  let served: Awaited<ReturnType<typeof servedGateway>>;
  beforeAll(async () => {
    served = await servedGateway({
      server: { body_limit: BODY_LIMIT_BYTES },
      admin: { allow_stdio: false },
      backends: [{ name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-f" }],
      assistants: [{ name: "a", backend: "up", model: "m" }],
    });
  });
  afterAll(async () => {
    await served?.close();
  });

  async function send(
    method: string,
    path: string,
    body: string,
    type: string,
    extra: Record<string, string> = {},
  ) {
    const headers: Record<string, string> = { ...extra, ...(type ? { "content-type": type } : {}) };
    if (Buffer.byteLength(body) > BODY_LIMIT_BYTES) return sendOnce(method, path, body, headers);
    const response = await fetch(`${served.url}${path}`, {
      method,
      headers,
      // A fetch string body defaults to text/plain; a Blob without a type sends none.
      body: type ? body : new Blob([body]),
    });
    return { status: response.status, text: await response.text() };
  }

  /**
   * Past the limit the gateway answers 413 before the upload ends and closes
   * the connection, so such a body goes on a connection of its own, and the
   * write failing once the answer is in is expected.
   */
  function sendOnce(method: string, path: string, body: string, headers: Record<string, string>) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(`${served.url}${path}`);
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method, headers, agent: false },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  it(
    "answers 2xx or a 4xx in its error shape, never a 5xx or a stack trace",
    async () => {
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(surface.body, contentType, async (body, type) => {
          const { status, text } = await send(
            surface.method,
            surface.path,
            body,
            type,
            surface.headers,
          );
          seen.add(Math.floor(status / 100));
          const shown = `${status} ${text.slice(0, 500)}`;
          expect(status, shown).toBeGreaterThanOrEqual(200);
          expect(status, shown).toBeLessThan(500);
          expect(status < 300 || status >= 400, shown).toBe(true);
          expect(text, shown).not.toMatch(STACK_TRACE);
          if (status >= 400) surface.expectError(text);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: RUNS > 1_000 },
      );

      // Both paths were reached: bodies the surface took, and bodies it refused.
      expect([...seen].sort()).toEqual([2, 4]);
      // Still healthy: the process answers, and a normal request still works.
      const health = await fetch(`${served.url}/health`);
      expect(health.status).toBe(200);
      const chat = await send(
        "POST",
        "/v1/chat/completions",
        j({ model: "a", messages: [{ role: "user", content: "still there?" }] }),
        "application/json",
      );
      expect(chat.status, chat.text).toBe(200);
      expect(JSON.parse(chat.text).choices[0].message.content).toBe("ok");
    },
    TIMEOUT_MS,
  );
});

describe("the fuzz bodies", () => {
  it("reach the hostile cases: deep, prototype keys, huge numbers, not JSON", () => {
    const samples = fc.sample(bodyText(chatBody), { numRuns: 500, seed: SEED });
    const some = (test: (s: string) => boolean) => samples.some(test);
    expect(some((s) => s.includes("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["))).toBe(
      true,
    );
    expect(some((s) => s.includes('"__proto__"'))).toBe(true);
    expect(some((s) => s.includes('"constructor"'))).toBe(true);
    expect(some((s) => s.includes("1e309"))).toBe(true);
    expect(some((s) => s.includes("\\ud800"))).toBe(true);
    expect(some((s) => s.length > 100_000)).toBe(true);
    expect(
      some((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
    ).toBe(true);
    expect(fc.sample(anyJsonText, { numRuns: 50, seed: SEED })).toHaveLength(50);
  });
});
