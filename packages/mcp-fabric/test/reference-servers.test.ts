import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMcpFabric, type McpFabric } from "../src/index.js";
import { isAlive, npmServer, tempDir, text } from "./helpers.js";

let dir: ReturnType<typeof tempDir>;
let fabric: McpFabric;

beforeEach(() => {
  dir = tempDir();
  fabric = createMcpFabric();
});

afterEach(async () => {
  await fabric.close();
  dir.remove();
});

describe("server-filesystem over stdio", () => {
  it("writes and reads files in the allowed directory only", async () => {
    await fabric.set({
      name: "files",
      transport: "stdio",
      ...npmServer("@modelcontextprotocol/server-filesystem", dir.path),
    });
    const tools = await fabric.listTools("files");
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(["read_text_file", "write_file", "list_directory"]),
    );
    const path = join(dir.path, "note.txt");
    const written = await fabric.callTool("files", "write_file", { path, content: "hello fabric" });
    expect(written.isError).toBe(false);
    expect(readFileSync(path, "utf8")).toBe("hello fabric");
    expect(text(await fabric.callTool("files", "read_text_file", { path }))).toBe("hello fabric");

    const outside = await fabric.callTool("files", "read_text_file", { path: "/etc/hostname" });
    expect(outside.isError).toBe(true);
    expect(text(outside)).toMatch(/denied|outside/i);

    const pid = fabric.status("files")!.pid!;
    await fabric.close();
    expect(isAlive(pid)).toBe(false);
  });
});

describe("server-memory over stdio", () => {
  it("keeps a knowledge graph in the file it is given", async () => {
    const file = join(dir.path, "memory.jsonl");
    await fabric.set({
      name: "memory",
      transport: "stdio",
      ...npmServer("@modelcontextprotocol/server-memory"),
      env: { MEMORY_FILE_PATH: file },
    });
    const created = await fabric.callTool("memory", "create_entities", {
      entities: [{ name: "aiproxy", entityType: "project", observations: ["runs MCP tools"] }],
    });
    expect(created.isError).toBe(false);
    const graph = JSON.parse(text(await fabric.callTool("memory", "read_graph", {})));
    expect(graph.entities).toEqual([
      expect.objectContaining({ name: "aiproxy", entityType: "project" }),
    ]);
    expect(readFileSync(file, "utf8")).toContain("aiproxy");
  });
});
