import type { ToolInfo, ToolResult } from "@aiproxy/core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createMcpEndpoint,
  type McpEndpoint,
  type McpRequestContext,
  type McpSource,
  MemorySessionStore,
  type SessionStore,
} from "./index.js";

const BASE = "http://127.0.0.1/mcp";

/** A toolset with an echo and a tool that reports progress and waits until released or aborted. */
function fakeSource() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const aborted: { resolve: () => void; promise: Promise<void> } = {} as never;
  aborted.promise = new Promise((resolve) => {
    aborted.resolve = resolve;
  });
  let tools: ToolInfo[] = [
    { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } },
    { name: "slow", inputSchema: { type: "object" } },
    { name: "burst", inputSchema: { type: "object" } },
  ];
  const listeners = new Set<() => void>();
  const source: McpSource = {
    tools: {
      list: async () => tools,
      call: async (name, args, options = {}): Promise<ToolResult> => {
        if (name === "echo") return { content: `echo: ${String(args.text)}`, isError: false };
        if (name === "burst") {
          for (let i = 1; i <= 3; i++) options.onProgress?.({ progress: i, total: 3 });
          return { content: "burst", isError: false };
        }
        options.onProgress?.({ progress: 1, total: 2, message: "half" });
        await new Promise<void>((resolve, reject) => {
          void released.then(resolve);
          options.signal?.addEventListener("abort", () => {
            aborted.resolve();
            reject(options.signal?.reason);
          });
        });
        return { content: "done", isError: false };
      },
    },
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const setTools = (next: ToolInfo[]) => {
    tools = next;
    for (const l of listeners) l();
  };
  return { source, release, aborted: aborted.promise, setTools };
}

function context(owner: string, source: McpSource, scope = "*"): McpRequestContext {
  return { owner, scope, source: () => source };
}

function fetchVia(endpoint: McpEndpoint, ctx: McpRequestContext): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.pathname === "/sse" && request.method === "GET")
      return endpoint.openSse(request, {
        ...ctx,
        messageUrl: (id) => `/sse/message?sessionId=${id}`,
      });
    if (url.pathname === "/sse/message") return endpoint.postSse(request, ctx);
    return endpoint.handle(request, ctx);
  };
}

async function connect(endpoint: McpEndpoint, ctx: McpRequestContext) {
  const client = new Client({ name: "test", version: "1" });
  const transport = new StreamableHTTPClientTransport(new URL(BASE), {
    fetch: fetchVia(endpoint, ctx),
  });
  await client.connect(transport);
  return { client, transport };
}

function post(
  endpoint: McpEndpoint,
  ctx: McpRequestContext,
  body: string,
  headers: Record<string, string> = {},
) {
  return endpoint.handle(
    new Request(BASE, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body,
    }),
    ctx,
  );
}

const endpoints: McpEndpoint[] = [];
function endpoint(options?: Parameters<typeof createMcpEndpoint>[0]) {
  const e = createMcpEndpoint(options);
  endpoints.push(e);
  return e;
}
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

describe("McpEndpoint over streamable HTTP", () => {
  it("lists and calls tools, and answers ping", async () => {
    const { source } = fakeSource();
    const { client } = await connect(endpoint(), context("a", source));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["echo", "slow", "burst"]);
    const result = await client.callTool({ name: "echo", arguments: { text: "hi" } });
    expect(result.content).toEqual([{ type: "text", text: "echo: hi" }]);
    await expect(client.ping()).resolves.toEqual({});
    await expect(client.callTool({ name: "hidden" })).rejects.toThrow(/Unknown tool/);
    await expect(client.listPrompts()).rejects.toThrow(/Method not found/);
  });

  it("answers a call that asks for no progress with JSON, one that does with a stream", async () => {
    const { source } = fakeSource();
    const e = endpoint();
    const ctx = context("a", source);
    const types: Array<string | null> = [];
    const via = fetchVia(e, ctx);
    const transport = new StreamableHTTPClientTransport(new URL(BASE), {
      fetch: async (input, init) => {
        const response = await via(input, init);
        if (init?.method === "POST") types.push(response.headers.get("content-type"));
        return response;
      },
    });
    const client = new Client({ name: "test", version: "1" });
    await client.connect(transport);
    types.length = 0;
    await client.callTool({ name: "echo", arguments: { text: "hi" } });
    await client.callTool({ name: "burst" }, undefined, { onprogress: () => {} });
    expect(types).toEqual(["application/json", "text/event-stream"]);
  });

  it("forwards progress, and a cancelled request aborts the call behind it", async () => {
    const fake = fakeSource();
    const { client } = await connect(endpoint(), context("a", fake.source));
    const controller = new AbortController();
    const progress: unknown[] = [];
    let sawProgress!: () => void;
    const progressed = new Promise<void>((r) => {
      sawProgress = r;
    });
    const call = client.callTool({ name: "slow" }, undefined, {
      signal: controller.signal,
      onprogress: (p) => {
        progress.push(p);
        sawProgress();
      },
    });
    await progressed;
    expect(progress[0]).toMatchObject({ progress: 1, total: 2, message: "half" });
    controller.abort();
    await expect(call).rejects.toThrow();
    await fake.aborted;
  });

  it("progress sent just before the result reaches the client before it", async () => {
    const { source } = fakeSource();
    const { client } = await connect(endpoint(), context("a", source));
    for (let round = 0; round < 20; round++) {
      const seen: number[] = [];
      await client.callTool({ name: "burst" }, undefined, {
        onprogress: (p) => seen.push(p.progress),
      });
      expect(seen).toEqual([1, 2, 3]);
    }
  });

  it("binds a session to its owner and scope: another caller's id is not found", async () => {
    const { source } = fakeSource();
    const e = endpoint();
    const { transport } = await connect(e, context("a", source));
    const id = transport.sessionId!;
    const list = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const other = await post(e, context("b", source), list, {
      "mcp-session-id": id,
      "mcp-protocol-version": "2025-06-18",
    });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: -32001 } });
    const scoped = await post(e, context("a", source, "x"), list, { "mcp-session-id": id });
    expect(scoped.status).toBe(404);
    const own = await post(e, context("a", source), list, {
      "mcp-session-id": id,
      "mcp-protocol-version": "2025-06-18",
    });
    expect(own.status).toBe(200);
  });

  it("answers bad input with JSON-RPC errors", async () => {
    const { source } = fakeSource();
    const e = endpoint({ maxMessageBytes: 1000 });
    const ctx = context("a", source);
    const cases: Array<[string, number, number]> = [
      ["{not json", 400, -32700],
      [JSON.stringify({ hello: 1 }), 400, -32600],
      ["[]", 400, -32600],
      [JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }), 400, -32600],
      [
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "x", params: { pad: "y".repeat(2000) } }),
        413,
        -32600,
      ],
    ];
    for (const [body, status, code] of cases) {
      const response = await post(e, ctx, body);
      expect(response.status, body.slice(0, 40)).toBe(status);
      expect(await response.json()).toMatchObject({ jsonrpc: "2.0", error: { code }, id: null });
    }
    expect(e.size).toBe(0);
  });

  it("opens no session for an initialize that is a notification or that the SDK refuses", async () => {
    const { source } = fakeSource();
    const e = endpoint();
    const ctx = context("a", source);
    const params = {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "t", version: "1" },
    };
    const notification = await post(
      e,
      ctx,
      JSON.stringify({ jsonrpc: "2.0", method: "initialize", params }),
    );
    expect(notification.status).toBe(400);
    const request = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params });
    const unacceptable = await post(e, ctx, request, { accept: "text/html" });
    expect(unacceptable.status).toBe(406);
    expect(e.size).toBe(0);
    const ok = await post(e, ctx, request);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("mcp-session-id")).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(e.size).toBe(1);
  });

  it("caps open sessions and expires idle ones", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const { source } = fakeSource();
    const e = endpoint({ maxSessions: 1, idleTimeoutMs: 60_000 });
    await connect(e, context("a", source));
    await expect(connect(e, context("a", source))).rejects.toThrow(/Too many open MCP sessions/);
    expect(e.size).toBe(1);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(e.size).toBe(0);
    await connect(e, context("a", source));
    expect(e.size).toBe(1);
  });

  it("sends tools/list_changed only when the listed tools really change", async () => {
    const fake = fakeSource();
    const { client } = await connect(endpoint(), context("a", fake.source));
    await client.listTools();
    let changed!: () => void;
    const notified = new Promise<void>((r) => {
      changed = r;
    });
    const { ToolListChangedNotificationSchema } = await import(
      "@modelcontextprotocol/sdk/types.js"
    );
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed());
    fake.setTools([{ name: "echo", inputSchema: { type: "object" } }]);
    await notified;
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["echo"]);
  });
});

describe("McpEndpoint session lifecycle", () => {
  it("a tool the session was shown but whose server went away is a tool error, not unknown", async () => {
    const fake = fakeSource();
    const calls: string[] = [];
    const source: McpSource = {
      ...fake.source,
      tools: {
        list: fake.source.tools.list,
        call: async (name) => {
          calls.push(name);
          return { content: `MCP server for "${name}" is unavailable`, isError: true };
        },
      },
    };
    const { client } = await connect(endpoint(), context("a", source));
    await client.listTools();
    fake.setTools([]);
    const result = await client.callTool({ name: "echo", arguments: {} });
    expect(result.isError).toBe(true);
    expect(calls).toEqual(["echo"]);
    await expect(client.callTool({ name: "never-shown" })).rejects.toThrow(/Unknown tool/);
  });

  it("a session that ends aborts the calls still running in it", async () => {
    const fake = fakeSource();
    const e = endpoint();
    const ctx = context("a", fake.source);
    const { client, transport } = await connect(e, ctx);
    let sawProgress!: () => void;
    const started = new Promise<void>((resolve) => {
      sawProgress = resolve;
    });
    const call = client.callTool({ name: "slow" }, undefined, { onprogress: () => sawProgress() });
    call.catch(() => {});
    await started;
    const ended = await e.handle(
      new Request(BASE, { method: "DELETE", headers: { "mcp-session-id": transport.sessionId! } }),
      ctx,
    );
    expect(ended.status).toBe(200);
    await fake.aborted;
  });

  it("DELETE ends the session; the id is then unknown", async () => {
    const { source } = fakeSource();
    const e = endpoint();
    const ctx = context("a", source);
    const { transport } = await connect(e, ctx);
    const id = transport.sessionId!;
    await transport.terminateSession();
    expect(e.size).toBe(0);
    const list = JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" });
    expect((await post(e, ctx, list, { "mcp-session-id": id })).status).toBe(404);
  });
});

describe("McpEndpoint drain", () => {
  it("refuses new sessions and ends the standalone stream, while an open session still answers", async () => {
    const { source } = fakeSource();
    const e = endpoint();
    const ctx = context("a", source);
    const params = {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "t", version: "1" },
    };
    const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params });
    const opened = await post(e, ctx, init);
    const id = opened.headers.get("mcp-session-id")!;
    await opened.text();
    const session = { "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" };
    const stream = await e.handle(
      new Request(BASE, { method: "GET", headers: { accept: "text/event-stream", ...session } }),
      ctx,
    );
    expect(stream.status).toBe(200);
    const ended = stream.body!.pipeTo(new WritableStream());
    e.drain();
    await ended;
    expect((await post(e, ctx, init)).status).toBe(503);
    const list = await post(
      e,
      ctx,
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
      session,
    );
    expect(list.status).toBe(200);
    expect(await list.text()).toContain('"echo"');
  });
});

describe("McpEndpoint over legacy SSE", () => {
  it("lists and calls tools", async () => {
    const { source } = fakeSource();
    const e = endpoint();
    const client = new Client({ name: "test", version: "1" });
    const ctx = context("a", source);
    await client.connect(
      new SSEClientTransport(new URL("http://127.0.0.1/sse"), {
        fetch: fetchVia(e, ctx),
        eventSourceInit: { fetch: fetchVia(e, ctx) },
      }),
    );
    expect((await client.listTools()).tools).toHaveLength(3);
    const result = await client.callTool({ name: "echo", arguments: { text: "sse" } });
    expect(result.content).toEqual([{ type: "text", text: "echo: sse" }]);
    await client.close();
  });
});

describe("McpEndpoint sessions shared by two endpoints on one store", () => {
  /** Two endpoints, as two processes on one shared store, and a fetch whose target the test picks per request. */
  function pair(options: Parameters<typeof createMcpEndpoint>[0] = {}) {
    const sessions = new MemorySessionStore();
    const a = endpoint({ ...options, sessions });
    const b = endpoint({ ...options, sessions });
    return { a, b, sessions };
  }

  function routed(
    pick: (request: Request, n: number) => McpEndpoint,
    ctx: McpRequestContext,
  ): { fetch: typeof fetch; served: McpEndpoint[] } {
    const served: McpEndpoint[] = [];
    let n = 0;
    return {
      served,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        const target = pick(request, n++);
        served.push(target);
        return target.handle(request, ctx);
      },
    };
  }

  /** Owner "a" on a fake source, counting the sessions opened (or revived) on it. */
  function countedContext() {
    const { source } = fakeSource();
    let opened = 0;
    const ctx: McpRequestContext = {
      owner: "a",
      scope: "*",
      source: () => {
        opened++;
        return source;
      },
    };
    return { ctx, opened: () => opened };
  }

  async function connectVia(fetch: typeof globalThis.fetch) {
    const client = new Client({ name: "test", version: "1" });
    const transport = new StreamableHTTPClientTransport(new URL(BASE), { fetch });
    await client.connect(transport);
    return { client, transport };
  }

  it("a session alternating between them keeps working: list, call, progress", async () => {
    const { a, b } = pair();
    const { ctx, opened } = countedContext();
    const via = routed((_, n) => (n % 2 ? b : a), ctx);
    const { client } = await connectVia(via.fetch);
    for (let i = 0; i < 3; i++) {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual([
        "echo",
        "slow",
        "burst",
      ]);
      const result = await client.callTool({ name: "echo", arguments: { text: `hi ${i}` } });
      expect(result.content).toEqual([{ type: "text", text: `echo: hi ${i}` }]);
      const seen: number[] = [];
      await client.callTool({ name: "burst" }, undefined, {
        onprogress: (p) => seen.push(p.progress),
      });
      expect(seen).toEqual([1, 2, 3]);
    }
    expect(new Set(via.served)).toEqual(new Set([a, b]));
    // Opened once, revived once: later requests use each endpoint's live copy.
    expect(opened()).toBe(2);
    expect([a.size, b.size]).toEqual([1, 1]);
  });

  it("concurrent first requests on the other endpoint revive the session once", async () => {
    const { a, b } = pair();
    const { ctx, opened } = countedContext();
    let target = a;
    const { client } = await connectVia(routed(() => target, ctx).fetch);
    target = b;
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        client.callTool({ name: "echo", arguments: { text: `${i}` } }),
      ),
    );
    expect(results.map((r) => r.content)).toEqual(
      Array.from({ length: 5 }, (_, i) => [{ type: "text", text: `echo: ${i}` }]),
    );
    expect(opened()).toBe(2);
  });

  it("DELETE on one ends the session on both; another owner's id is not found on either", async () => {
    const { a, b } = pair();
    const { source } = fakeSource();
    const ctx = context("a", source);
    let target = a;
    const { client, transport } = await connectVia(routed(() => target, ctx).fetch);
    const id = transport.sessionId!;
    target = b;
    await client.listTools();
    const list = JSON.stringify({ jsonrpc: "2.0", id: 99, method: "tools/list" });
    const headers = { "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" };
    for (const e of [a, b])
      expect((await post(e, context("intruder", source), list, headers)).status).toBe(404);
    expect([a.size, b.size]).toEqual([1, 1]);
    await transport.terminateSession();
    expect(b.size).toBe(0);
    // The other copy learns it at once from the broadcast, or at the latest from its next request.
    expect(a.size).toBe(0);
    for (const e of [a, b]) expect((await post(e, ctx, list, headers)).status).toBe(404);
  });

  it("a copy whose record went is not used, even without a broadcast", async () => {
    const sessions = new MemorySessionStore();
    const quiet: SessionStore = {
      create: (r) => sessions.create(r),
      get: (id) => sessions.get(id),
      touch: (id, at) => sessions.touch(id, at),
      delete: (id) => sessions.delete(id),
      count: () => sessions.count(),
      idleSince: (before) => sessions.idleSince(before),
    };
    const a = endpoint({ sessions: quiet });
    const b = endpoint({ sessions: quiet });
    const { source } = fakeSource();
    const ctx = context("a", source);
    let target = a;
    const { client, transport } = await connectVia(routed(() => target, ctx).fetch);
    const id = transport.sessionId!;
    target = b;
    await client.listTools();
    await transport.terminateSession();
    expect(a.size).toBe(1);
    const list = JSON.stringify({ jsonrpc: "2.0", id: 99, method: "tools/list" });
    const headers = { "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" };
    expect((await post(a, ctx, list, headers)).status).toBe(404);
    expect(a.size).toBe(0);
  });

  it("saves a huge handshake clipped, and revives the session from it", async () => {
    const { a, b, sessions } = pair();
    const { source } = fakeSource();
    const ctx = context("a", source);
    const params = {
      protocolVersion: "2025-06-18",
      capabilities: { experimental: { pad: { text: "x".repeat(20_000) } } },
      clientInfo: { name: "n".repeat(1_000), version: "1" },
    };
    const opened = await post(
      a,
      ctx,
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params }),
    );
    const id = opened.headers.get("mcp-session-id")!;
    await opened.text();
    const record = await sessions.get(id);
    expect(record?.client).toEqual({
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "n".repeat(256), version: "1" },
    });
    expect(JSON.stringify(record).length).toBeLessThan(2_000);
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const headers = { "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" };
    const answer = await post(b, ctx, list, headers);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('"echo"');
  });

  it("with the store away, a session held here goes on; a new one is refused", async () => {
    const sessions = new MemorySessionStore();
    let down = false;
    const away = <T>(run: () => Promise<T>) =>
      down ? Promise.reject(new Error("store unavailable")) : run();
    const flaky: SessionStore = {
      create: (r) => away(() => sessions.create(r)),
      get: (id) => away(() => sessions.get(id)),
      touch: (id, at) => away(() => sessions.touch(id, at)),
      delete: (id) => away(() => sessions.delete(id)),
      count: () => away(() => sessions.count()),
      idleSince: (before) => away(() => sessions.idleSince(before)),
    };
    const e = endpoint({ sessions: flaky });
    const { source } = fakeSource();
    const { client } = await connect(e, context("a", source));
    down = true;
    const result = await client.callTool({ name: "echo", arguments: { text: "still" } });
    expect(result.content).toEqual([{ type: "text", text: "echo: still" }]);
    await expect(connect(e, context("a", source))).rejects.toThrow();
    down = false;
    expect((await client.listTools()).tools).toHaveLength(3);
  });

  it("a call running on one is cancelled by a notifications/cancelled sent to the other", async () => {
    const { a, b } = pair();
    const fake = fakeSource();
    const ctx = context("a", fake.source);
    let target = a;
    const { client } = await connectVia(routed(() => target, ctx).fetch);
    const controller = new AbortController();
    let started!: () => void;
    const progressed = new Promise<void>((r) => {
      started = r;
    });
    const call = client.callTool({ name: "slow" }, undefined, {
      signal: controller.signal,
      onprogress: () => started(),
    });
    await progressed;
    target = b;
    controller.abort();
    await expect(call).rejects.toThrow();
    await fake.aborted;
  });

  it("tools/list_changed reaches a GET stream held by the endpoint that revived the session", async () => {
    const { a, b } = pair();
    const fake = fakeSource();
    const ctx = context("a", fake.source);
    // The handshake on one, the client's standalone stream on the other.
    const via = routed((request) => (request.method === "GET" ? b : a), ctx);
    const { client } = await connectVia(via.fetch);
    await client.listTools();
    await vi.waitUntil(() => via.served.includes(b));
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    fake.setTools([{ name: "echo", inputSchema: { type: "object" } }]);
    await changed;
  });

  it("the cap counts sessions on both; idle expiry follows the shared last use", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const { a, b } = pair({ maxSessions: 1, idleTimeoutMs: 60_000 });
    const { source } = fakeSource();
    const ctx = context("a", source);
    let target = a;
    const { client } = await connectVia(routed(() => target, ctx).fetch);
    await expect(connect(b, ctx)).rejects.toThrow(/Too many open MCP sessions/);
    // Busy on b: a's sweeps do not expire the copy it holds.
    target = b;
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(30_000);
      await client.callTool({ name: "echo", arguments: { text: "busy" } });
    }
    expect([a.size, b.size]).toEqual([1, 1]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect([a.size, b.size]).toEqual([0, 0]);
  });
});
