import { type RecordedRequest, trailingToolResults } from "@aiproxy/testkit";
import { Agent, hostedMcpTool, OpenAIProvider, Runner, tool } from "@openai/agents";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import type { GatewayProcess } from "./helpers/gateway-process.js";
import {
  startTwoWireGateway,
  stopTwoWireGateway,
  type TwoWireGateway,
} from "./helpers/two-wire-gateway.js";

/**
 * The OpenAI Agents SDK (`@openai/agents`): an `Agent` run by a `Runner`
 * whose OpenAI client points at the gateway (a real process), Responses API.
 * The agent has a function tool of its own (the SDK runs it) and the
 * assistant's MCP tools as a hosted MCP tool (the gateway runs them, as
 * `mcp_call` items); with `requireApproval` the SDK's own approval callback
 * answers the gateway's `mcp_approval_request`. Tracing is off: nothing
 * leaves loopback.
 */

const PROXY_KEY = "proxy-key-agents-sdk";

let started: TwoWireGateway | undefined;
let upstreams: TwoWireGateway["upstreams"];
let gateway: GatewayProcess;
let runner: Runner;

beforeAll(async () => {
  started = await startTwoWireGateway({ proxyKey: PROXY_KEY });
  ({ upstreams, gateway } = started);
  const client = new OpenAI({ apiKey: PROXY_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  runner = new Runner({
    modelProvider: new OpenAIProvider({ openAIClient: client, useResponses: true }),
    tracingDisabled: true,
  });
}, 60_000);

afterAll(() => stopTwoWireGateway(started));

/** Every tool result text the upstream was sent, either wire. */
function toolTexts(request: RecordedRequest | undefined): string[] {
  return request ? trailingToolResults(request).map((r) => r.text) : [];
}

describe.each([
  ["openai", "via-openai"],
  ["anthropic", "via-anthropic"],
] as const)("the Agents SDK against an %s-wire backend", (wire, assistant) => {
  const upstream = () => upstreams[wire];

  it("runs an Agent with its own function tool and the assistant's MCP tools (mcp_call items)", async () => {
    const asked: string[] = [];
    const weather = tool({
      name: "get_weather",
      description: "Weather for a city",
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        asked.push(city);
        return `sunny, 21 C in ${city}`;
      },
    });
    upstream().enqueue(
      { toolCalls: [{ name: "everything__echo", arguments: { message: "from the sdk" } }] },
      (request) => ({
        text: `Echoed: ${toolTexts(request).join(" | ")}`,
        toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }],
      }),
      (request) => ({ text: `Done. ${toolTexts(request).join(" | ")}` }),
    );
    const before = upstream().requests.length;
    const agent = new Agent({
      name: "helper",
      instructions: "Use the tools.",
      model: assistant,
      tools: [weather, hostedMcpTool({ serverLabel: "everything", requireApproval: "never" })],
    });
    const result = await runner.run(agent, "Echo something, then tell me the weather in Oslo");

    expect(asked).toEqual(["Oslo"]);
    expect(result.finalOutput).toBe("Done. sunny, 21 C in Oslo");
    const requests = upstream().requests.slice(before);
    expect(requests).toHaveLength(3);
    // The gateway ran the MCP tool; the model saw its real output.
    expect(toolTexts(requests[1])[0]).toContain("Echo: from the sdk");
    // The SDK's first model response carried the server-side round as an mcp_call item.
    const first = result.rawResponses[0]?.output ?? [];
    expect(JSON.stringify(first)).toContain('"mcp_call"');
    expect(JSON.stringify(first)).toContain("Echo: from the sdk");
  });

  it("answers the gateway's mcp_approval_request through the SDK's approval callback", async () => {
    const approvals: string[] = [];
    upstream().enqueue(
      { toolCalls: [{ name: "everything__echo", arguments: { message: "approved by sdk" } }] },
      (request) => ({ text: `Done. ${toolTexts(request).join(" | ")}` }),
    );
    const before = upstream().requests.length;
    const agent = new Agent({
      name: "careful",
      model: assistant,
      tools: [
        hostedMcpTool({
          serverLabel: "everything",
          requireApproval: "always",
          onApproval: async (_context, item) => {
            approvals.push(item.name ?? "");
            return { approve: true };
          },
        }),
      ],
    });
    const result = await runner.run(agent, "Echo, with my approval");

    expect(approvals).toEqual(["echo"]);
    expect(result.finalOutput).toContain("Echo: approved by sdk");
    const requests = upstream().requests.slice(before);
    expect(requests).toHaveLength(2);
    expect(toolTexts(requests[1])[0]).toContain("Echo: approved by sdk");
  });
});
