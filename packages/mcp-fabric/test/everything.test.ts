import type { ImagePart } from "@aiproxy/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMcpFabric, type McpFabric, type McpServerSpec } from "../src/index.js";
import { isAlive, npmServer, startEverythingHttp, text } from "./helpers.js";

type Remote = Awaited<ReturnType<typeof startEverythingHttp>>;

const transports = ["stdio", "sse", "streamable-http"] as const;

describe.each(transports)("server-everything over %s", (transport) => {
  let fabric: McpFabric;
  let remote: Remote | undefined;

  beforeAll(async () => {
    fabric = createMcpFabric();
    let spec: McpServerSpec;
    if (transport === "stdio") {
      spec = {
        name: "everything",
        transport,
        ...npmServer("@modelcontextprotocol/server-everything"),
      };
    } else {
      remote = await startEverythingHttp(transport === "sse" ? "sse" : "streamableHttp");
      spec = { name: "everything", transport, url: remote.url, headers: { "x-test": "1" } };
    }
    await fabric.set(spec);
  });

  afterAll(async () => {
    await fabric.close();
    await remote?.stop();
  });

  it("lists its tools", async () => {
    const tools = await fabric.listTools("everything");
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["echo", "get-sum", "get-tiny-image"]));
    const sum = tools.find((tool) => tool.name === "get-sum")!;
    expect(sum.inputSchema).toMatchObject({ type: "object", properties: { a: {}, b: {} } });
    expect(fabric.status("everything")).toMatchObject({
      state: "ready",
      transport,
      toolCount: tools.length,
    });
  });

  it("calls tools, many at once over one session", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fabric.callTool("everything", "get-sum", { a: i, b: 1 }),
      ),
    );
    results.forEach((result, i) => {
      expect(result.isError).toBe(false);
      expect(text(result)).toContain(String(i + 1));
    });
    expect(text(await fabric.callTool("everything", "echo", { message: "hi" }))).toBe("Echo: hi");
  });

  it("keeps images as image parts", async () => {
    const result = await fabric.callTool("everything", "get-tiny-image", {});
    expect(Array.isArray(result.content)).toBe(true);
    const parts = result.content as Exclude<typeof result.content, string>;
    expect(parts.map((part) => part.type)).toEqual(["text", "image_url", "text"]);
    expect((parts[1] as ImagePart).image_url.url).toMatch(/^data:image\/png;base64,iVBOR/);
  });

  it("keeps resource links and embedded resources as JSON text", async () => {
    const links = text(await fabric.callTool("everything", "get-resource-links", { count: 2 }));
    const linkLines = links.split("\n").filter((line) => line.startsWith("{"));
    expect(linkLines.map((line) => JSON.parse(line).type)).toEqual([
      "resource_link",
      "resource_link",
    ]);
    const reference = text(
      await fabric.callTool("everything", "get-resource-reference", {
        resourceType: "Text",
        resourceId: 1,
      }),
    );
    const embedded = JSON.parse(reference.split("\n").find((line) => line.startsWith("{"))!);
    expect(embedded).toMatchObject({
      type: "resource",
      resource: { uri: "demo://resource/dynamic/text/1", mimeType: "text/plain" },
    });
  });

  it("shows structured content once, as JSON", async () => {
    const result = await fabric.callTool("everything", "get-structured-content", {
      location: "Chicago",
    });
    expect(JSON.parse(text(result))).toEqual({
      temperature: 36,
      conditions: "Light rain / drizzle",
      humidity: 82,
    });
  });

  if (transport === "stdio") {
    it("gives the child a minimal environment", async () => {
      process.env.OPENAI_API_KEY = "sk-gateway-secret";
      try {
        await fabric.set({
          name: "env",
          transport: "stdio",
          ...npmServer("@modelcontextprotocol/server-everything"),
          env: { MINE: "yes" },
        });
        const env = JSON.parse(text(await fabric.callTool("env", "get-env", {})));
        expect(env.MINE).toBe("yes");
        expect(env.PATH).toBe(process.env.PATH);
        expect(env).not.toHaveProperty("OPENAI_API_KEY");
        const pid = fabric.status("env")!.pid!;
        await fabric.remove("env");
        expect(isAlive(pid)).toBe(false);
      } finally {
        delete process.env.OPENAI_API_KEY;
      }
    });
  }
});

describe.each([
  ["streamable-http", "streamableHttp"],
  ["sse", "sse"],
] as const)("a remote server (%s) that restarts", (transport, mode) => {
  it("fails calls while it is down and opens a new session once it is back", async () => {
    const fabric = createMcpFabric({ restart: { initialDelayMs: 0 } });
    let remote = await startEverythingHttp(mode);
    try {
      await fabric.set({ name: "remote", transport, url: remote.url });
      expect(text(await fabric.callTool("remote", "echo", { message: "1" }))).toBe("Echo: 1");
      await remote.stop();

      const down = await fabric.callTool("remote", "echo", { message: "2" });
      expect(down.isError).toBe(true);
      expect(fabric.status("remote")!.state).toBe("failed");

      // Back on the same port, it no longer knows our session: the fabric starts a new one.
      remote = await startEverythingHttp(mode, remote.port);
      expect(text(await fabric.callTool("remote", "echo", { message: "3" }))).toBe("Echo: 3");
      // SSE may notice the loss of its event stream first and try (in vain) once more while down.
      expect(fabric.status("remote")!.state).toBe("ready");
      expect(fabric.status("remote")!.restarts).toBeGreaterThanOrEqual(1);
    } finally {
      await fabric.close();
      await remote.stop();
    }
  });
});
