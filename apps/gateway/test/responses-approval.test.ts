import { join } from "node:path";
import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFor, json, openAIError } from "./helpers/in-process.js";
import { answerWithToolResults } from "./helpers/upstream-turns.js";

/**
 * Approval held at the gateway (issue 15, item 4), through `app.fetch`: a
 * call that needs approval ends the response with an `mcp_approval_request`;
 * an `mcp_approval_response` with `previous_response_id` runs or refuses it
 * and the run goes on. A real MCP server (server-everything) runs the calls.
 */

const KEY = "proxy-key-approval";
const EVERYTHING = join(import.meta.dirname, "..", "node_modules", ".bin", "mcp-server-everything");

let upstream: ScriptedUpstream;
let gateway: Awaited<ReturnType<typeof gatewayFor>>;

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  gateway = await gatewayFor({
    proxy_api_keys: [KEY],
    backends: [{ name: "oa", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-1" }],
    mcp_servers: [{ name: "everything", transport: "stdio", command: EVERYTHING }],
    assistants: [
      { name: "tools", backend: "oa", model: "gpt-x", mcp_servers: ["everything"] },
      {
        name: "guarded",
        backend: "oa",
        model: "gpt-x",
        mcp_servers: ["everything"],
        tool_approval: { always: ["everything__echo"] },
      },
    ],
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

function post(path: string, body: unknown) {
  return gateway.call(path, json(body, { authorization: `Bearer ${KEY}` }));
}

async function ok(body: unknown) {
  const response = await post("/v1/responses", body);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text);
}

const echo = (message: string, id = "call_echo") => ({
  toolCalls: [{ id, name: "everything__echo", arguments: { message } }],
});

const mcpAlways = [{ type: "mcp", server_label: "everything", require_approval: "always" }];

function lastMessages(): { role: string; content: unknown; tool_call_id?: string }[] {
  return upstream.requests.at(-1)?.body.messages;
}

describe("require_approval on an mcp tool", () => {
  it("holds the call: the response ends with an mcp_approval_request; approve runs it and the run goes on", async () => {
    upstream.enqueue(echo("approved words"));
    const before = upstream.requests.length;
    const first = await ok({ model: "tools", input: "Echo something", tools: mcpAlways });
    expect(first.status).toBe("completed");
    const request = first.output.at(-1);
    expect(request).toEqual({
      id: expect.stringMatching(/^mcpr_/),
      type: "mcp_approval_request",
      server_label: "everything",
      name: "echo",
      arguments: '{"message":"approved words"}',
    });
    expect(first.output.some((i: { type: string }) => i.type === "mcp_call")).toBe(false);
    expect(upstream.requests.length - before).toBe(1);

    upstream.enqueue(answerWithToolResults);
    const second = await ok({
      model: "tools",
      previous_response_id: first.id,
      input: [{ type: "mcp_approval_response", approval_request_id: request.id, approve: true }],
      tools: mcpAlways,
    });
    const call = second.output.find((i: { type: string }) => i.type === "mcp_call");
    expect(call).toMatchObject({ server_label: "everything", name: "echo", status: "completed" });
    expect(call.output).toContain("Echo: approved words");
    expect(second.output.at(-1).content[0].text).toContain("Tool said: Echo: approved words");
    const sent = lastMessages();
    expect(sent.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(sent[2]).toMatchObject({ tool_call_id: "call_echo" });
  });

  it("approve: false refuses the call with the reason, and the model sees it", async () => {
    upstream.enqueue(echo("never run"));
    const first = await ok({ model: "tools", input: "Echo", tools: mcpAlways });
    const request = first.output.at(-1);
    upstream.enqueue(answerWithToolResults);
    const second = await ok({
      model: "tools",
      previous_response_id: first.id,
      input: [
        {
          type: "mcp_approval_response",
          approval_request_id: request.id,
          approve: false,
          reason: "not on a Friday",
        },
      ],
    });
    const call = second.output.find((i: { type: string }) => i.type === "mcp_call");
    expect(call.status).toBe("failed");
    expect(call.error.content[0].text).toContain("not on a Friday");
    const tool = lastMessages().at(-1);
    expect(tool?.role).toBe("tool");
    expect(String(tool?.content)).toContain("did not approve");
    expect(String(tool?.content)).not.toContain("Echo: never run");
  });

  it("a tool_names filter holds only the named tool; the step's other call runs at once", async () => {
    upstream.enqueue({
      toolCalls: [
        { id: "call_sum", name: "everything__get-sum", arguments: { a: 2, b: 3 } },
        { id: "call_echo", name: "everything__echo", arguments: { message: "later" } },
      ],
    });
    const first = await ok({
      model: "tools",
      input: "sum and echo",
      tools: [
        {
          type: "mcp",
          server_label: "everything",
          require_approval: {
            always: { tool_names: ["echo"] },
            never: { tool_names: ["get-sum"] },
          },
        },
      ],
    });
    const types = first.output.map((i: { type: string }) => i.type);
    expect(types).toEqual(["mcp_list_tools", "mcp_call", "mcp_approval_request"]);
    expect(first.output[1]).toMatchObject({ name: "get-sum", status: "completed" });
    expect(first.output[1].output).toContain("5");
    expect(first.output[2].name).toBe("echo");
  });
});

describe("tool_approval in the assistant's config", () => {
  it("holds the call even when the request says never; streamed, the request is an output item", async () => {
    upstream.enqueue(echo("config says ask"));
    const response = await post("/v1/responses", {
      model: "guarded",
      input: "Echo",
      stream: true,
      tools: [{ type: "mcp", server_label: "everything", require_approval: "never" }],
    });
    const text = await response.text();
    const events = text
      .split("\n\n")
      .filter((f) => f.startsWith("event: "))
      .map((f) => JSON.parse(f.split("\n")[1]?.slice("data: ".length) ?? "{}"));
    const added = events.filter(
      (e) => e.type === "response.output_item.added" && e.item.type === "mcp_approval_request",
    );
    expect(added).toHaveLength(1);
    expect(added[0].item).toMatchObject({
      name: "echo",
      arguments: '{"message":"config says ask"}',
    });
    expect(events.at(-1).type).toBe("response.completed");
    expect(events.at(-1).response.output.at(-1).type).toBe("mcp_approval_request");
  });

  it("chat completions cannot ask, so the call is refused and the model is told why", async () => {
    upstream.enqueue(echo("on chat"), answerWithToolResults);
    const response = await post("/v1/chat/completions", {
      model: "guarded",
      messages: [{ role: "user", content: "Echo" }],
    });
    expect(response.status).toBe(200);
    const tool = lastMessages().at(-1);
    expect(tool?.role).toBe("tool");
    expect(String(tool?.content)).toContain("needs the user's approval");
  });
});

describe("bad approval responses are a 400 naming the field", () => {
  async function refused(body: unknown, param: string) {
    const response = await post("/v1/responses", body);
    expect(response.status).toBe(400);
    const error = await openAIError(response);
    expect(error.param).toBe(param);
    return error;
  }

  it("an unknown approval_request_id, and one already answered", async () => {
    upstream.enqueue(echo("once"));
    const first = await ok({ model: "tools", input: "Echo", tools: mcpAlways });
    const request = first.output.at(-1);
    await refused(
      {
        model: "tools",
        previous_response_id: first.id,
        input: [{ type: "mcp_approval_response", approval_request_id: "mcpr_nope", approve: true }],
      },
      "input[0].approval_request_id",
    );
    upstream.enqueue(answerWithToolResults);
    const second = await ok({
      model: "tools",
      previous_response_id: first.id,
      input: [{ type: "mcp_approval_response", approval_request_id: request.id, approve: true }],
    });
    const error = await refused(
      {
        model: "tools",
        previous_response_id: second.id,
        input: [{ type: "mcp_approval_response", approval_request_id: request.id, approve: true }],
      },
      "input[0].approval_request_id",
    );
    expect(error.message).toContain("already answered");
    await refused(
      {
        model: "tools",
        input: [{ type: "mcp_approval_response", approval_request_id: request.id, approve: "yes" }],
      },
      "input[0].approve",
    );
  });
});
