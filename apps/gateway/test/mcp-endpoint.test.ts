import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "@aiproxy/core";
import { mcpTestServerCommand } from "@aiproxy/testkit";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedGateway } from "./helpers/in-process.js";

/**
 * The gateway as an MCP server: the official SDK client, over streamable
 * HTTP and legacy SSE, lists and calls the tools of real npm MCP servers
 * (server-everything, server-filesystem) and the testkit's fault server
 * behind `/mcp`, `/mcp/{assistant}` and `/sse`.
 */

const KEY_A = "proxy-key-mcp-a";
const KEY_B = "proxy-key-mcp-b";
/** A key with a grant: one MCP server on /mcp, one assistant. */
const KEY_LIMITED = "proxy-key-mcp-limited";
const bin = (name: string) => join(import.meta.dirname, "..", "node_modules", ".bin", name);

let served: Awaited<ReturnType<typeof servedGateway>>;
let faultLog: string;
let data: string;
const logged: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
const clients: Client[] = [];

function collector(): Logger {
  const at = (level: string) => (obj: unknown, msg?: string) =>
    logged.push({ level, obj: (obj ?? {}) as Record<string, unknown>, msg: msg ?? "" });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), "aiproxy-mcp-endpoint-"));
  writeFileSync(join(data, "notes.txt"), "hello from the filesystem server");
  faultLog = join(data, "fault.log");
  const faults = mcpTestServerCommand("faults");
  served = await servedGateway(
    {
      proxy_api_keys: [
        KEY_A,
        KEY_B,
        { key: KEY_LIMITED, assistants: ["wide"], mcp_servers: ["files"] },
      ],
      mcp_endpoint: { max_message_size: "64kb" },
      backends: [{ name: "d", kind: "demo" }],
      mcp_servers: [
        { name: "everything", transport: "stdio", command: bin("mcp-server-everything") },
        { name: "files", transport: "stdio", command: bin("mcp-server-filesystem"), args: [data] },
        {
          name: "faults",
          transport: "stdio",
          command: faults.command,
          args: faults.args,
          env: { FAULT_LOG: faultLog },
        },
        // Never starts: left out of every list, with the reason in the log.
        { name: "broken", transport: "stdio", command: join(data, "no-such-binary") },
      ],
      assistants: [
        {
          name: "narrow",
          backend: "d",
          model: "demo",
          mcp_servers: ["everything"],
          tool_allowlist: ["everything__echo", "everything__get-sum"],
          tool_descriptions: { everything__echo: "Say it back." },
          tool_arguments: { "everything__get-sum": { a: 40 } },
          tool_result_max_chars: 20,
        },
        { name: "wide", backend: "d", model: "demo", mcp_servers: ["everything", "files"] },
      ],
    },
    { logger: collector() },
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await served?.close();
});

function headers(key: string) {
  return { authorization: `Bearer ${key}` };
}

async function connect(path = "/mcp", key = KEY_A) {
  const client = new Client({ name: "mcp-endpoint-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${served.url}${path}`), {
    requestInit: { headers: headers(key) },
  });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

/** An MCP SDK client on the legacy `/sse` transport, its key on the stream and on each POST. */
async function connectSse(key: string) {
  const client = new Client({ name: "mcp-endpoint-sse-test", version: "1.0.0" });
  const auth = headers(key);
  await client.connect(
    new SSEClientTransport(new URL(`${served.url}/sse`), {
      requestInit: { headers: auth },
      eventSourceInit: {
        fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...auth } }),
      },
    }),
  );
  clients.push(client);
  return client;
}

function logText(): string {
  return existsSync(faultLog) ? readFileSync(faultLog, "utf8") : "";
}

function textOf(result: unknown): string {
  const { content = [] } = result as { content?: Array<{ type: string; text?: string }> };
  return content.map((part) => part.text ?? "").join("");
}

describe("/mcp over streamable HTTP", () => {
  it("lists every server's tools as <server>__<tool> and calls them", async () => {
    const { client } = await connect();
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("everything__echo");
    expect(names).toContain("everything__trigger-long-running-operation");
    expect(names).toContain("files__read_text_file");
    expect(names).toContain("faults__hang");
    expect(names.some((n) => n.startsWith("broken__"))).toBe(false);
    const echo = await client.callTool({ name: "everything__echo", arguments: { message: "hi" } });
    expect(textOf(echo)).toBe("Echo: hi");
    const dir = await client.callTool({ name: "files__list_allowed_directories", arguments: {} });
    expect(echo.isError).toBeFalsy();
    expect(textOf(dir)).toContain("aiproxy-mcp-endpoint-");
    await expect(client.ping()).resolves.toEqual({});
  });

  it("logs the server it had to leave out, and why", async () => {
    const { client } = await connect();
    await client.listTools();
    const line = logged.find(
      (l) =>
        l.msg === "mcp endpoint: server left out of the tool list" && l.obj.server === "broken",
    );
    expect(line?.obj.reason).toMatch(/failed to start/);
  });

  it("aggregates prompts and resources, namespaced and routed back", async () => {
    const { client } = await connect();
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain("everything__simple-prompt");
    const prompt = await client.getPrompt({ name: "everything__simple-prompt", arguments: {} });
    expect(prompt.messages.length).toBeGreaterThan(0);
    await expect(client.getPrompt({ name: "nobody__simple-prompt" })).rejects.toThrow(
      /Unknown prompt/,
    );
    const resources = (await client.listResources()).resources;
    const first = resources.find((r) => r.uri.startsWith("aiproxy://everything/"));
    expect(first).toBeDefined();
    const read = await client.readResource({ uri: first!.uri });
    expect(read.contents[0]?.uri).toBe(first!.uri);
    await expect(client.readResource({ uri: "aiproxy://elsewhere/x" })).rejects.toThrow(
      /Unknown resource/,
    );
  });

  it("forwards progress from the server behind", async () => {
    const { client } = await connect();
    const progress: number[] = [];
    const result = await client.callTool(
      {
        name: "everything__trigger-long-running-operation",
        arguments: { duration: 0.3, steps: 3 },
      },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(textOf(result)).toContain("Long running operation completed");
    expect(progress).toEqual([1, 2, 3]);
  });

  it("a client's cancellation cancels the call behind it", async () => {
    const { client } = await connect();
    // server-everything's long-running operation: cancelled after its first progress step.
    const controller = new AbortController();
    const call = client.callTool(
      {
        name: "everything__trigger-long-running-operation",
        arguments: { duration: 30, steps: 30 },
      },
      undefined,
      { signal: controller.signal, onprogress: () => controller.abort("enough") },
    );
    await expect(call).rejects.toThrow();
    // The fault server records what it saw: the hold arriving, then the gateway's notifications/cancelled.
    const hold = new AbortController();
    const held = client.callTool(
      { name: "faults__hold", arguments: { tag: "cancel-me" } },
      undefined,
      {
        signal: hold.signal,
      },
    );
    const rejected = expect(held).rejects.toThrow();
    await expect.poll(() => logText(), { timeout: 10_000 }).toContain("held cancel-me");
    hold.abort("stop");
    await rejected;
    await expect.poll(() => logText(), { timeout: 10_000 }).toContain("cancelled hold cancel-me");
    // The session is still good.
    expect(
      textOf(await client.callTool({ name: "everything__echo", arguments: { message: "on" } })),
    ).toBe("Echo: on");
  });

  it("sends tools/list_changed when a server's tools change", async () => {
    const { client } = await connect();
    await client.listTools();
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    await client.callTool({ name: "faults__add_tool", arguments: { name: "fresh" } });
    await changed;
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("faults__fresh");
  });
});

describe("/mcp/{assistant}", () => {
  it("serves exactly the assistant's toolset: allowlist, descriptions, pinned arguments, clipping", async () => {
    const { client } = await connect("/mcp/narrow");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["everything__echo", "everything__get-sum"]);
    expect(tools.find((t) => t.name === "everything__echo")?.description).toBe("Say it back.");
    const sum = tools.find((t) => t.name === "everything__get-sum")!;
    expect(Object.keys(sum.inputSchema.properties ?? {})).toEqual(["b"]);
    const result = await client.callTool({
      name: "everything__get-sum",
      arguments: { a: 1, b: 2 },
    });
    expect(textOf(result)).toMatch(/^The sum of 40 and 2 /);
    const long = await client.callTool({
      name: "everything__echo",
      arguments: { message: "x".repeat(200) },
    });
    expect(textOf(long)).toMatch(/^Echo: x{14}\n\[truncated/);
    await expect(
      client.callTool({ name: "files__read_text_file", arguments: { path: "/etc/passwd" } }),
    ).rejects.toThrow(/Unknown tool/);
  });

  it("sends tools/list_changed when an admin change alters what the assistant's clients see", async () => {
    const { client } = await connect("/mcp/narrow");
    await client.listTools();
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    const put = await fetch(`${served.url}/admin/assistants/narrow`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        backend: "d",
        model: "demo",
        mcp_servers: ["everything"],
        tool_allowlist: ["everything__echo"],
      }),
    });
    expect(put.status, await put.text()).toBeLessThan(300);
    await changed;
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["everything__echo"]);
  });

  it("an unknown assistant is a 404", async () => {
    await expect(connect("/mcp/nobody")).rejects.toThrow(/404|No such assistant/);
  });
});

describe("per-key grants", () => {
  it("/mcp shows a limited key only its granted servers; a full key sees them all", async () => {
    const limited = (await connect("/mcp", KEY_LIMITED)).client;
    const names = (await limited.listTools()).tools.map((t) => t.name);
    expect(names).toContain("files__read_text_file");
    expect(names.every((n) => n.startsWith("files__"))).toBe(true);
    const prompts = (await limited.listPrompts()).prompts.map((p) => p.name);
    expect(prompts.some((n) => n.startsWith("everything__"))).toBe(false);
    const notes = await limited.callTool({
      name: "files__read_text_file",
      arguments: { path: join(data, "notes.txt") },
    });
    expect(textOf(notes)).toBe("hello from the filesystem server");
    // A tool of a server outside the grant is refused as any tool the caller was not shown.
    await expect(
      limited.callTool({ name: "everything__echo", arguments: { message: "hi" } }),
    ).rejects.toThrow(/Unknown tool/);

    const full = (await connect("/mcp", KEY_B)).client;
    const all = (await full.listTools()).tools.map((t) => t.name);
    expect(all).toContain("everything__echo");
    expect(all).toContain("files__read_text_file");
  });

  it("/mcp/{assistant} outside the grant is a 404, as an unknown one is; inside it, served", async () => {
    await expect(connect("/mcp/narrow", KEY_LIMITED)).rejects.toThrow(/404|No such assistant/);
    const raw = await fetch(`${served.url}/mcp/narrow`, {
      method: "POST",
      headers: {
        ...headers(KEY_LIMITED),
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    const unknown = await fetch(`${served.url}/mcp/nobody`, {
      method: "POST",
      headers: {
        ...headers(KEY_LIMITED),
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(raw.status).toBe(404);
    expect(await raw.text()).toBe(await unknown.text());
    // The assistant's own view is not narrowed by the key's mcp_servers.
    const wide = (await connect("/mcp/wide", KEY_LIMITED)).client;
    expect((await wide.listTools()).tools.map((t) => t.name)).toContain("everything__echo");
    const narrow = (await connect("/mcp/narrow", KEY_B)).client;
    expect((await narrow.listTools()).tools.length).toBeGreaterThan(0);
  });

  it("/sse shows a limited key only its granted servers", async () => {
    const client = await connectSse(KEY_LIMITED);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("files__read_text_file");
    expect(names.some((n) => n.startsWith("everything__"))).toBe(false);
  });
});

describe("/sse (legacy HTTP+SSE)", () => {
  it("lists and calls tools", async () => {
    const client = await connectSse(KEY_A);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("files__read_text_file");
    const notes = await client.callTool({
      name: "files__read_text_file",
      arguments: { path: join(data, "notes.txt") },
    });
    expect(textOf(notes)).toBe("hello from the filesystem server");
  });
});

describe("security and bad input", () => {
  const init = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "raw", version: "1" },
    },
  });
  const accept = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };

  it("refuses a caller without a key, a browser origin, a rebound Host", async () => {
    const none = await fetch(`${served.url}/mcp`, { method: "POST", headers: accept, body: init });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 } });
    const wrong = await fetch(`${served.url}/mcp`, {
      method: "POST",
      headers: { ...accept, ...headers("nope") },
      body: init,
    });
    expect(wrong.status).toBe(401);
    const origin = await fetch(`${served.url}/mcp`, {
      method: "POST",
      headers: { ...accept, ...headers(KEY_A), origin: "https://evil.example" },
      body: init,
    });
    expect(origin.status).toBe(403);
    const rebound = await served.gateway.app.fetch(
      new Request("http://attacker.example/mcp", {
        method: "POST",
        headers: { ...accept, ...headers(KEY_A), host: "attacker.example" },
        body: init,
      }),
    );
    expect(rebound.status).toBe(403);
    const xKey = await fetch(`${served.url}/mcp`, {
      method: "POST",
      headers: { ...accept, "x-api-key": KEY_B },
      body: init,
    });
    expect(xKey.status).toBe(200);
    await xKey.body?.cancel();
  });

  it("two keys get their own sessions; a session id from another caller is not found", async () => {
    const a = await connect("/mcp", KEY_A);
    const b = await connect("/mcp", KEY_B);
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    expect(a.transport.sessionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const stolen = await fetch(`${served.url}/mcp`, {
      method: "POST",
      headers: {
        ...accept,
        ...headers(KEY_B),
        "mcp-session-id": a.transport.sessionId!,
        "mcp-protocol-version": "2025-06-18",
      },
      body: list,
    });
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toMatchObject({ error: { code: -32001 } });
    // Its owner still uses it.
    expect((await a.client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it("answers malformed JSON-RPC, unknown methods and oversized messages with JSON-RPC errors", async () => {
    const post = (body: string, extra: Record<string, string> = {}) =>
      fetch(`${served.url}/mcp`, {
        method: "POST",
        headers: { ...accept, ...headers(KEY_A), ...extra },
        body,
      });
    const parse = await post("{oops");
    expect(parse.status).toBe(400);
    expect(await parse.json()).toMatchObject({ error: { code: -32700 }, id: null });
    const shape = await post(JSON.stringify({ id: 1, method: 3 }));
    expect(shape.status).toBe(400);
    expect(await shape.json()).toMatchObject({ error: { code: -32600 } });
    const big = await post(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "ping",
        params: { pad: "x".repeat(70_000) },
      }),
    );
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
    const { client } = await connect();
    await expect(
      client.request({ method: "no/such/method" }, ToolListChangedNotificationSchema as never),
    ).rejects.toThrow(/Method not found/);
    const noRoute = await fetch(`${served.url}/mcp/a/b`, { headers: headers(KEY_A) });
    expect(noRoute.status).toBe(404);
    expect(await noRoute.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
  });
});
