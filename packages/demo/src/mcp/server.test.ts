import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterEach, describe, expect, it } from "vitest";
import { demoMcpServerCommand } from "./command.js";
import { createDemoServer } from "./server.js";

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

describe("demo server", () => {
  it("offers weather, add and time with deterministic answers", async () => {
    const client = await connect(createDemoServer());
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["get_weather", "add", "get_time"]);
    const add = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    expect(firstText(add)).toBe("5");
    const paris1 = await client.callTool({ name: "get_weather", arguments: { city: "Paris" } });
    const paris2 = await client.callTool({ name: "get_weather", arguments: { city: "Paris" } });
    expect(paris1.structuredContent).toEqual(paris2.structuredContent);
    expect(paris1.structuredContent).toMatchObject({ city: "Paris", note: "demo data" });
    const time = await client.callTool({ name: "get_time", arguments: {} });
    expect(Date.parse(firstText(time))).not.toBeNaN();
    const badZone = await client.callTool({
      name: "get_time",
      arguments: { timezone: "Nowhere/X" },
    });
    expect(badZone.isError).toBe(true);
  });

  it("runs as a stdio process from the built script", async () => {
    const { command, args } = demoMcpServerCommand();
    expect(command).toBe(process.execPath);
    const client = new Client({ name: "test", version: "1" });
    await client.connect(new StdioClientTransport({ command, args }));
    open.push(client);
    const add = await client.callTool({ name: "add", arguments: { a: 40, b: 2 } });
    expect(firstText(add)).toBe("42");
  });
});
