import { trailingToolResults } from "@aiproxy/testkit";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayProcess } from "./helpers/gateway-process.js";
import {
  startTwoWireGateway,
  stopTwoWireGateway,
  type TwoWireGateway,
} from "./helpers/two-wire-gateway.js";
import { answerWithToolResults } from "./helpers/upstream-turns.js";

/**
 * The gateway as a real process, reached by the official `openai` client's
 * Responses API (`responses.create`, `responses.stream`), in front of
 * scripted OpenAI- and Anthropic-wire upstreams with a real MCP server from
 * npm attached. Each test checks what the upstream received too.
 */

const UPSTREAM_KEY = "sk-upstream-secret-9012";
const PROXY_KEY = "proxy-key-responses-sdk";

let started: TwoWireGateway | undefined;
let upstreams: TwoWireGateway["upstreams"];
let gateway: GatewayProcess;
let client: OpenAI;

beforeAll(async () => {
  started = await startTwoWireGateway({ proxyKey: PROXY_KEY, upstreamKey: UPSTREAM_KEY });
  ({ upstreams, gateway } = started);
  client = new OpenAI({ apiKey: PROXY_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}, 60_000);

afterAll(() => stopTwoWireGateway(started));

const weather: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

describe.each([
  ["openai", "via-openai", "gpt-test"],
  ["anthropic", "via-anthropic", "claude-test"],
] as const)(
  "the openai client's Responses API against an %s-wire backend",
  (wire, assistant, providerModel) => {
    const upstream = () => upstreams[wire];

    it("responses.create: a text answer, output_text, the provider model upstream", async () => {
      upstream().enqueue({
        text: "Hello from upstream",
        usage: { promptTokens: 9, completionTokens: 3 },
      });
      const response = await client.responses.create({
        model: assistant,
        instructions: "Be kind.",
        input: "Say hello",
      });
      expect(response.id).toMatch(/^resp_/);
      expect(response.model).toBe(assistant);
      expect(response.status).toBe("completed");
      expect(response.output_text).toBe("Hello from upstream");
      expect(response.usage).toMatchObject({ input_tokens: 9, output_tokens: 3, total_tokens: 12 });
      const sent = upstream().requests.at(-1);
      expect(sent?.body.model).toBe(providerModel);
      expect(JSON.stringify(sent)).not.toContain(PROXY_KEY);
      if (wire === "anthropic") expect(sent?.body.system).toBe("Be kind.");
      else expect(sent?.body.messages[0]).toEqual({ role: "system", content: "Be kind." });
    });

    it("responses.stream: text deltas, then the final response", async () => {
      upstream().enqueue({ text: "one two three" });
      const stream = client.responses.stream({ model: assistant, input: "Count" });
      const deltas: string[] = [];
      stream.on("response.output_text.delta", (event) => deltas.push(event.delta));
      const final = await stream.finalResponse();
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join("")).toBe("one two three");
      expect(final.output_text).toBe("one two three");
      expect(final.status).toBe("completed");
      expect(upstream().requests.at(-1)?.body.stream).toBe(true);
    });

    it("a server-side MCP round is an mcp_call item; usage is summed over both steps", async () => {
      upstream().enqueue(
        {
          toolCalls: [{ name: "everything__echo", arguments: { message: "via mcp" } }],
          usage: { promptTokens: 11, completionTokens: 2 },
        },
        (request) => ({
          ...answerWithToolResults(request),
          usage: { promptTokens: 30, completionTokens: 6 },
        }),
      );
      const stream = client.responses.stream({ model: assistant, input: "Echo via mcp" });
      const completed: string[] = [];
      stream.on("response.mcp_call.completed", (event) => completed.push(event.item_id));
      const final = await stream.finalResponse();
      const call = final.output.find((item) => item.type === "mcp_call");
      expect(call).toMatchObject({
        type: "mcp_call",
        server_label: "everything",
        name: "echo",
        arguments: '{"message":"via mcp"}',
      });
      expect(call?.type === "mcp_call" && call.output).toContain("Echo: via mcp");
      expect(completed).toEqual([call?.id]);
      expect(final.output_text).toBe("Tool said: Echo: via mcp");
      expect(final.usage).toMatchObject({ input_tokens: 41, output_tokens: 8, total_tokens: 49 });
      expect(trailingToolResults(upstream().requests.at(-1)!)[0]?.text).toContain("Echo: via mcp");
    });

    it("a client function tool round trip through previous_response_id", async () => {
      upstream().enqueue({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] });
      const first = await client.responses.create({
        model: assistant,
        input: "Weather in Oslo?",
        tools: [weather],
      });
      const call = first.output.find((item) => item.type === "function_call");
      expect(call).toMatchObject({ name: "get_weather", arguments: '{"city":"Oslo"}' });
      // The assistant's MCP tools are offered beside the client's.
      const offered = JSON.stringify(upstream().requests.at(-1)?.body.tools);
      expect(offered).toContain("get_weather");
      expect(offered).toContain("everything__echo");

      upstream().enqueue(answerWithToolResults);
      const stream = client.responses.stream({
        model: assistant,
        previous_response_id: first.id,
        input: [
          {
            type: "function_call_output",
            call_id: call?.type === "function_call" ? call.call_id : "",
            output: "sunny, 21 C",
          },
        ],
        tools: [weather],
      });
      const final = await stream.finalResponse();
      expect(final.output_text).toBe("Tool said: sunny, 21 C");
      expect(final.previous_response_id).toBe(first.id);
      expect(trailingToolResults(upstream().requests.at(-1)!).map((r) => r.text)).toEqual([
        "sunny, 21 C",
      ]);

      const stored = await client.responses.retrieve(final.id);
      expect(stored.output_text).toBe("Tool said: sunny, 21 C");
      const items = await client.responses.inputItems.list(final.id);
      expect(items.data.map((item) => item.type)).toEqual(["function_call_output"]);
    });

    it("approvals round-trip: create ends with an mcp_approval_request, a streamed mcp_approval_response runs the call", async () => {
      upstream().enqueue({
        toolCalls: [{ name: "everything__echo", arguments: { message: "with consent" } }],
      });
      const mcp: OpenAI.Responses.Tool.Mcp = {
        type: "mcp",
        server_label: "everything",
        require_approval: "always",
      };
      const before = upstream().requests.length;
      const first = await client.responses.create({
        model: assistant,
        input: "Echo with consent",
        tools: [mcp],
      });
      const request = first.output.at(-1);
      expect(request).toMatchObject({
        type: "mcp_approval_request",
        server_label: "everything",
        name: "echo",
        arguments: '{"message":"with consent"}',
      });
      expect(upstream().requests.length - before).toBe(1);

      upstream().enqueue(answerWithToolResults);
      const stream = client.responses.stream({
        model: assistant,
        previous_response_id: first.id,
        input: [
          {
            type: "mcp_approval_response",
            approval_request_id: request?.id ?? "",
            approve: true,
          },
        ],
        tools: [mcp],
      });
      const final = await stream.finalResponse();
      const call = final.output.find((item) => item.type === "mcp_call");
      expect(call?.type === "mcp_call" && call.output).toContain("Echo: with consent");
      expect(final.output_text).toBe("Tool said: Echo: with consent");
      expect(trailingToolResults(upstream().requests.at(-1)!)[0]?.text).toContain(
        "Echo: with consent",
      );

      // The same request answered twice is the client's BadRequestError.
      const again = client.responses.create({
        model: assistant,
        previous_response_id: final.id,
        input: [
          { type: "mcp_approval_response", approval_request_id: request?.id ?? "", approve: true },
        ],
      });
      await expect(again).rejects.toMatchObject({
        status: 400,
        param: "input[0].approval_request_id",
      });
    });
  },
);

describe("the openai client's Responses API, gateway specifics", () => {
  it("text.format json_schema reaches an OpenAI-wire upstream as response_format", async () => {
    upstreams.openai.enqueue({ text: '{"city":"Oslo"}' });
    const response = await client.responses.create({
      model: "via-openai",
      input: "Where?",
      text: {
        format: {
          type: "json_schema",
          name: "place",
          schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          strict: true,
        },
      },
    });
    expect(JSON.parse(response.output_text)).toEqual({ city: "Oslo" });
    expect(upstreams.openai.requests.at(-1)?.body.response_format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "place",
        schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        strict: true,
      },
    });
  });

  it("bad input is the client's BadRequestError or NotFoundError; delete removes a response", async () => {
    await expect(
      client.responses.create({
        model: "via-openai",
        input: [{ type: "function_call_output", call_id: "call_nope", output: "x" }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(
      client.responses.create({
        model: "via-openai",
        previous_response_id: "resp_missing",
        input: "x",
      }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    upstreams.openai.enqueue({ text: "bye" });
    const response = await client.responses.create({ model: "via-openai", input: "x" });
    await client.responses.delete(response.id);
    await expect(client.responses.retrieve(response.id)).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });

  it("hosted tools are dropped and named in the header and the run's log line", async () => {
    upstreams.openai.enqueue({ text: "ok" });
    const { response } = await client.responses
      .create({ model: "via-openai", input: "x", tools: [{ type: "web_search" }] })
      .withResponse();
    expect(response.headers.get("x-aiproxy-dropped-tools")).toBe("web_search");
    const line = await gateway.waitForLog(
      (entry) => entry.msg === "response" && Array.isArray(entry.droppedTools),
    );
    expect(line.droppedTools).toEqual(["web_search"]);
  });
});
