import { existsSync } from "node:fs";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { closeClients, connect, firstText } from "../../test/helpers/mcp-client.js";
import { mcpTestServerCommand } from "./servers/command.js";
import { createFaultServer } from "./servers/faults.js";

afterEach(closeClients);

describe("fault server", () => {
  it("sends tools/list_changed when a tool is added", async () => {
    const client = await connect(createFaultServer());
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    await client.callTool({ name: "add_tool", arguments: {} });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain("extra_1");
    expect(changed).toBe(1);
  });

  it("returns huge output and tool errors on request", async () => {
    const client = await connect(createFaultServer());
    const huge = await client.callTool({ name: "huge", arguments: { bytes: 10_000 } });
    expect(firstText(huge)).toHaveLength(10_000);
    const fail = await client.callTool({ name: "fail", arguments: {} });
    expect(fail.isError).toBe(true);
  });
});

describe("mcpTestServerCommand", () => {
  it("points the current node at a built script", () => {
    for (const name of ["demo", "faults"] as const) {
      const { command, args } = mcpTestServerCommand(name);
      expect(command).toBe(process.execPath);
      expect(args).toHaveLength(1);
      expect(existsSync(args[0]!)).toBe(true);
    }
  });
});
