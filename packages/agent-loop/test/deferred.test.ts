import type { ChatMessage } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { Bm25Index, tokenize } from "../src/deferred/bm25.js";
import { runAgent } from "../src/index.js";
import { calls, FakeBackend, FakeToolset, text } from "./fakes.js";

const user = (content: string): ChatMessage => ({ role: "user", content });

function catalog() {
  const schema = (...names: string[]) => ({
    type: "object",
    properties: Object.fromEntries(names.map((n) => [n, { type: "string" }])),
    required: names.slice(0, 1),
  });
  return new FakeToolset({
    memory__create_entities: {
      server: "memory",
      tool: "create_entities",
      description: "Create multiple new entities in the knowledge graph",
      inputSchema: schema("entities"),
      run: () => "created 1 entity",
    },
    files__read_file: {
      server: "files",
      tool: "read_file",
      description: "Read the complete contents of a file from the file system",
      inputSchema: schema("path"),
    },
    weather__forecast: {
      server: "weather",
      tool: "forecast",
      description: "Weather forecast for a city",
      inputSchema: schema("city", "days"),
    },
    billing__invoice_status: {
      server: "billing",
      tool: "invoice_status",
      description: "Look up whether an invoice was paid",
      inputSchema: schema("invoice_id"),
      run: (args) => `invoice ${String(args.invoice_id)} is paid`,
    },
  });
}

describe("BM25 ranking", () => {
  it("splits identifiers and stems plurals", () => {
    expect(tokenize("create_entities readFile")).toEqual(["create", "entity", "read", "file"]);
  });

  it("ranks rare matching terms first and leaves non-matching documents out", () => {
    const index = new Bm25Index();
    index.add(tokenize("read file contents file system"));
    index.add(tokenize("invoice status paid billing"));
    index.add(tokenize("write file contents file system"));
    expect(index.search("was my invoice paid", 5).map((h) => h.index)).toEqual([1]);
    expect(index.search("read a file", 5).map((h) => h.index)).toEqual([0, 2]);
  });
});

describe("deferred strategy", () => {
  it("offers only search_tools first, loads what a search finds, and the found tool runs", async () => {
    const toolset = catalog();
    const backend = new FakeBackend([
      calls([{ name: "search_tools", args: { query: "is the invoice paid" } }]),
      calls([{ name: "billing__invoice_status", args: { invoice_id: "INV-7" } }]),
      text("INV-7 is paid."),
    ]);
    const run = runAgent({
      backend,
      model: "m",
      messages: [user("was INV-7 paid?")],
      toolset,
      toolStrategy: { kind: "deferred", alwaysLoaded: ["files__read_file"], maxResults: 2 },
    });
    const result = await run.result;
    const offered = backend.requests.map((r) => r.tools?.map((t) => t.function.name));
    expect(offered[0]).toEqual(["files__read_file", "search_tools"]);
    expect(offered[1]).toContain("billing__invoice_status");
    expect(offered[1]).not.toContain("weather__forecast");
    const searchResult = backend.requests[1]?.messages.at(-1);
    expect(searchResult?.role).toBe("tool");
    expect(String(searchResult?.content)).toMatch(/^Found \d tools? for "is the invoice paid"/);
    expect(String(searchResult?.content)).toContain(
      "1. billing__invoice_status: Look up whether an invoice was paid Parameters: invoice_id (required).",
    );
    expect(toolset.calls.map((c) => [c.name, c.args])).toEqual([
      ["billing__invoice_status", { invoice_id: "INV-7" }],
    ]);
    expect(result.message.content).toBe("INV-7 is paid.");
    expect(result.strategy).toEqual({
      kind: "deferred",
      searches: [
        {
          step: 1,
          query: "is the invoice paid",
          found: expect.arrayContaining(["billing__invoice_status"]),
        },
      ],
      loaded: expect.arrayContaining(["files__read_file", "billing__invoice_status"]),
    });
  });

  it("a search without a query is a tool error the model can recover from", async () => {
    const backend = new FakeBackend([calls([{ name: "search_tools", args: {} }]), text("ok")]);
    await runAgent({
      backend,
      model: "m",
      messages: [user("hi")],
      toolset: catalog(),
      toolStrategy: { kind: "deferred" },
    }).result;
    const message = backend.requests[1]?.messages.at(-1);
    expect(message).toMatchObject({ role: "tool", isError: true });
  });
});
