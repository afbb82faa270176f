import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  mcpTestServerCommand,
  offeredTools,
  type RecordedRequest,
  type ScriptedUpstream,
  startScriptedUpstream,
  type Turn,
  trailingToolResults,
} from "@aiproxy/testkit";
import { countTokens } from "gpt-tokenizer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFor, json } from "./helpers/in-process.js";

/**
 * Deferred tool loading through the gateway, with ~200 tools across real
 * npm MCP servers (everything, filesystem, memory) and the testkit's
 * generated catalog: the first step's prompt, counted with a real
 * tokenizer, shrinks by at least 85%, and a model that searches, loads and
 * calls the right tool completes the task, on both backend kinds.
 */

const KEY = "proxy-key-tool-search";
const bin = (name: string) => join(import.meta.dirname, "..", "node_modules", ".bin", name);
const CATALOG_TOOLS = 164;

let upstream: ScriptedUpstream;
let gateway: Awaited<ReturnType<typeof gatewayFor>>;

/**
 * The scripted model: with a `search_tools` tool it searches, then calls the
 * search's top hit with the invoice id, then answers with that tool's result.
 * Without one it answers at once (the "load everything" baseline).
 */
function model(request: RecordedRequest): Turn {
  const offered = offeredTools(request).map((t) => t.name);
  const results = trailingToolResults(request);
  const last = results.at(-1);
  if (!last) {
    return offered.includes("search_tools")
      ? { toolCalls: [{ name: "search_tools", arguments: { query: "get an invoice by its id" } }] }
      : { text: "baseline" };
  }
  if (last.name === "search_tools") {
    const top = /^1\. (\S+):/m.exec(last.text)?.[1];
    if (!top || !offered.includes(top))
      return { text: `search found nothing loadable: ${last.text}` };
    return { toolCalls: [{ name: top, arguments: { invoice_id: "INV-7" } }] };
  }
  return { text: `Done: ${last.text}` };
}

beforeAll(async () => {
  upstream = await startScriptedUpstream({ fallback: model });
  const data = mkdtempSync(join(tmpdir(), "aiproxy-tool-search-"));
  writeFileSync(join(data, "notes.txt"), "hello");
  const faults = mcpTestServerCommand("faults");
  const servers = ["everything", "files", "memory", "catalog"];
  const assistant = (name: string, backend: string, extra: Record<string, unknown> = {}) => ({
    name,
    backend,
    model: backend === "oa" ? "gpt-4o-mini" : "claude-haiku-4-5",
    system_prompt: "You are a back-office assistant.",
    mcp_servers: servers,
    ...extra,
  });
  gateway = await gatewayFor({
    proxy_api_keys: [KEY],
    backends: [
      { name: "oa", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-1" },
      { name: "an", kind: "anthropic", base_url: upstream.anthropicBaseUrl, api_key: "sk-2" },
    ],
    mcp_servers: [
      { name: "everything", transport: "stdio", command: bin("mcp-server-everything") },
      { name: "files", transport: "stdio", command: bin("mcp-server-filesystem"), args: [data] },
      {
        name: "memory",
        transport: "stdio",
        command: bin("mcp-server-memory"),
        env: { MEMORY_FILE_PATH: join(data, "memory.jsonl") },
      },
      {
        name: "catalog",
        transport: "stdio",
        command: faults.command,
        args: faults.args,
        env: { FAULT_CATALOG: String(CATALOG_TOOLS) },
      },
    ],
    assistants: [
      assistant("all-oa", "oa"),
      assistant("all-an", "an"),
      assistant("deferred-oa", "oa", { tool_loading: "deferred" }),
      assistant("deferred-an", "an", {
        tool_loading: "deferred",
        always_loaded: ["memory__read_graph"],
      }),
    ],
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

async function chat(model: string, stream = false) {
  const before = upstream.requests.length;
  const response = await gateway.call(
    "/v1/chat/completions",
    json(
      {
        model,
        stream,
        messages: [{ role: "user", content: "Was invoice INV-7 paid? Look it up." }],
      },
      { authorization: `Bearer ${KEY}` },
    ),
  );
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, sent: upstream.requests.slice(before) };
}

/** What the first step sends the model besides the model name: its prompt. */
function promptTokens(request: RecordedRequest | undefined): number {
  const { system, messages, tools } = request?.body ?? {};
  return countTokens(JSON.stringify({ system, messages, tools }));
}

describe("tool search (tool_loading: deferred)", () => {
  it.each(["oa", "an"])(
    "cuts the first step's prompt by at least 85 percent (%s)",
    async (kind) => {
      const all = await chat(`all-${kind}`);
      const deferred = await chat(`deferred-${kind}`);
      const offered = offeredTools(all.sent[0] as RecordedRequest).map((t) => t.name);
      expect(offered.length).toBeGreaterThanOrEqual(190);
      expect(offered).toContain("catalog__billing_invoice_get");
      const first = offeredTools(deferred.sent[0] as RecordedRequest).map((t) => t.name);
      expect(first).toEqual(
        kind === "an" ? ["memory__read_graph", "search_tools"] : ["search_tools"],
      );
      const full = promptTokens(all.sent[0]);
      const searched = promptTokens(deferred.sent[0]);
      if (process.env.TOOL_SEARCH_REPORT)
        console.info(`${kind}: ${offered.length} tools, ${full} -> ${searched} prompt tokens`);
      expect(searched).toBeLessThanOrEqual(full * 0.15);
    },
  );

  it.each([
    ["oa", false],
    ["an", true],
  ] as const)(
    "a model that searches, loads and calls the right tool completes the task (%s, stream %s)",
    async (kind, stream) => {
      const { text, sent } = await chat(`deferred-${kind}`, stream);
      expect(sent).toHaveLength(3);
      const loaded = offeredTools(sent[1] as RecordedRequest).map((t) => t.name);
      expect(loaded).toContain("catalog__billing_invoice_get");
      expect(loaded.length).toBeLessThanOrEqual(7);
      const answer = stream
        ? text
            .split("\n\n")
            .filter((f) => f.startsWith("data: {"))
            .map((f) => JSON.parse(f.slice(6)))
            .map((c) => c.choices?.[0]?.delta?.content ?? "")
            .join("")
        : JSON.parse(text).choices[0].message.content;
      expect(answer).toContain('"tool":"billing_invoice_get"');
      expect(answer).toContain('"invoice_id":"INV-7"');
      const record = stream
        ? text
            .split("\n\n")
            .filter((f) => f.startsWith("data: {"))
            .map((f) => JSON.parse(f.slice(6)))
            .find((c) => c.x_aiproxy)?.x_aiproxy
        : JSON.parse(text).x_aiproxy;
      expect(record.tool_loading).toBe("deferred");
      expect(record.searches[0]).toMatchObject({ query: "get an invoice by its id" });
      expect(record.searches[0].found[0]).toBe("catalog__billing_invoice_get");
    },
  );
});
