import { ResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { closeClients, connect, firstText } from "../../../test/helpers/mcp-client.js";
import { createFaultServer, createFaultServerWithControls } from "./faults.js";

afterEach(closeClients);

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
