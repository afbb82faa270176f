import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createFaultServer, createFaultServerWithControls } from "./faults.js";

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

async function connect(server: McpServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "test", version: "1" });
  await server.connect(serverSide);
  await client.connect(clientSide);
  open.push(client, server);
  return client;
}

function firstText(result: Awaited<ReturnType<Client["callTool"]>>): string {
  const content = result.content as Array<{ type: string; text?: string }>;
  return content[0]?.text ?? "";
}

describe("fault server holds", () => {
  it("holds a call until its tag is released, before or after it arrives", async () => {
    const client = await connect(createFaultServer());
    const a = client.callTool({ name: "hold", arguments: { tag: "a" } });
    const b = client.callTool({ name: "hold", arguments: { tag: "b" } });
    let aDone = false;
    void a.then(() => {
      aDone = true;
    });
    // A release by tag holds whether it reaches the server before or after the hold it names.
    await client.callTool({ name: "release", arguments: { tag: "b" } });
    expect(JSON.parse(firstText(await b))).toMatchObject({ tag: "b" });
    expect(aDone).toBe(false);
    await client.callTool({ name: "release", arguments: { tag: "a" } });
    expect(JSON.parse(firstText(await a))).toMatchObject({ tag: "a" });
    // Once released, a tag holds nothing any more.
    const again = await client.callTool({ name: "hold", arguments: { tag: "a" } });
    expect(JSON.parse(firstText(again))).toMatchObject({ tag: "a" });
  });

  it("releases every hold through its controls", async () => {
    const { server, controls } = createFaultServerWithControls();
    const client = await connect(server);
    const held = client.callTool({ name: "hold", arguments: { tag: "x" } });
    await vi.waitFor(() => expect(controls.holding()).toBe(1));
    expect(controls.releaseAll()).toBe(1);
    expect(controls.holding()).toBe(0);
    expect(JSON.parse(firstText(await held))).toMatchObject({ tag: "x" });
  });
});

describe("fault server invalidTool", () => {
  it("lists a tool without inputSchema, which the SDK client refuses as a whole", async () => {
    const client = await connect(createFaultServer({ invalidTool: true }));
    await expect(client.listTools()).rejects.toThrow(/inputSchema/);
    const raw = await client.request({ method: "tools/list", params: {} }, ResultSchema);
    const tools = raw.tools as Array<{ name: string; inputSchema?: unknown }>;
    expect(tools.find((tool) => tool.name === "no_input_schema")?.inputSchema).toBeUndefined();
    expect(tools.find((tool) => tool.name === "pid")?.inputSchema).toBeDefined();
  });
});
