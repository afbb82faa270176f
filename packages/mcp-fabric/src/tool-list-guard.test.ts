import { createFaultServer } from "@aiproxy/testkit";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterEach, describe, expect, it } from "vitest";
import { type SkippedTool, ToolListGuard } from "./tool-list-guard.js";

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

async function guarded(invalidTool: boolean) {
  const server = createFaultServer({ invalidTool });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const skipped: SkippedTool[][] = [];
  const client = new Client({ name: "test", version: "1" });
  await server.connect(serverSide);
  await client.connect(new ToolListGuard(clientSide, (tools) => skipped.push(tools)));
  open.push(client, server);
  return { client, skipped };
}

describe("ToolListGuard", () => {
  it("removes an invalid tool from tools/list and reports it, so the SDK keeps the rest", async () => {
    const { client, skipped } = await guarded(true);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(["pid", "hold"]));
    expect(tools.map((tool) => tool.name)).not.toContain("no_input_schema");
    expect(skipped).toEqual([
      [{ name: "no_input_schema", reason: expect.stringMatching(/^inputSchema: .*object/) }],
    ]);
    const pid = await client.callTool({ name: "pid", arguments: {} });
    expect(pid.isError).toBeFalsy();
  });

  it("passes a valid list and other answers through untouched", async () => {
    const { client, skipped } = await guarded(false);
    expect((await client.listTools()).tools.length).toBeGreaterThan(5);
    await client.callTool({ name: "pid", arguments: {} });
    expect(skipped).toEqual([]);
  });
});
