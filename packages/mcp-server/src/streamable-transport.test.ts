import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type JSONRPCMessage,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { StreamableHttpTransport } from "./streamable-transport.js";

const ACCEPT = "application/json, text/event-stream";
const VERSION = "2025-06-18";

interface Harness {
  transport: StreamableHttpTransport;
  /** Releases a `hold` call; resolves with the signal its handler got. */
  held: Array<{ release: () => void; signal: AbortSignal }>;
  /** Resolves the next time a `hold` call starts. */
  holding: () => Promise<void>;
}

let open: StreamableHttpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.map((t) => t.close()));
  open = [];
});

/** A real SDK Server with `echo`, `hold` and `progress` tools over the transport, handshake done. */
async function harness(): Promise<Harness> {
  const server = new Server({ name: "t", version: "0" }, { capabilities: { tools: {} } });
  const held: Harness["held"] = [];
  let started: (() => void) | undefined;
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [] }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name } = request.params;
    if (name === "hold")
      return new Promise((resolve) => {
        held.push({ release: () => resolve({ content: [] }), signal: extra.signal });
        started?.();
      });
    if (name === "progress") {
      const token = request.params._meta?.progressToken;
      if (token !== undefined)
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress: 1, total: 2 },
        });
      return { content: [{ type: "text", text: "done" }] };
    }
    return { content: [{ type: "text", text: String(request.params.arguments?.text) }] };
  });
  const transport = new StreamableHttpTransport("sid");
  open.push(transport);
  await server.connect(transport);
  const init = await transport.post(
    [
      {
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: VERSION,
          capabilities: {},
          clientInfo: { name: "c", version: "1" },
        },
      },
    ],
    { accept: ACCEPT, protocolVersion: null },
  );
  expect(init.status).toBe(200);
  await init.text();
  transport.deliver([{ jsonrpc: "2.0", method: "notifications/initialized" }]);
  return {
    transport,
    held,
    holding: () =>
      new Promise((resolve) => {
        started = resolve;
      }),
  };
}

const call = (id: number, name: string, extra: Record<string, unknown> = {}): JSONRPCMessage => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: { text: `t${id}` }, ...extra },
});

const post = (
  transport: StreamableHttpTransport,
  messages: JSONRPCMessage[],
  signal?: AbortSignal,
) =>
  transport.post(messages, { accept: ACCEPT, protocolVersion: VERSION, ...(signal && { signal }) });

/** The JSON-RPC messages of an event-stream body. */
async function events(response: Response): Promise<Array<Record<string, unknown>>> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.includes("data: "))
    .map((block) => JSON.parse(block.slice(block.indexOf("data: ") + 6)));
}

describe("StreamableHttpTransport", () => {
  it("answers plain requests with one JSON body, a batch with an array, in request order of arrival", async () => {
    const { transport } = await harness();
    const one = await post(transport, [call(1, "echo")]);
    expect(one.headers.get("content-type")).toBe("application/json");
    expect(one.headers.get("mcp-session-id")).toBe("sid");
    expect(await one.json()).toMatchObject({ id: 1, result: { content: [{ text: "t1" }] } });
    const batch = await post(transport, [call(2, "echo"), call(3, "echo")]);
    const answers = (await batch.json()) as Array<{ id: number }>;
    expect(answers.map((a) => a.id).sort()).toEqual([2, 3]);
  });

  it("streams a call that asks for progress: the progress, then the result", async () => {
    const { transport } = await harness();
    const response = await post(transport, [
      call(1, "progress", { _meta: { progressToken: "p" } }),
    ]);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const messages = await events(response);
    expect(messages.map((m) => m.method ?? "result")).toEqual(["notifications/progress", "result"]);
  });

  it("turns a held JSON answer into a stream when a notification for a request comes first, losing nothing", async () => {
    const { transport, held, holding } = await harness();
    const started = holding();
    // The echo is answered (and held) while the hold is in flight; then a log for the hold arrives.
    const pending = post(transport, [call(1, "hold"), call(2, "echo")]);
    await started;
    await new Promise((resolve) => setImmediate(resolve));
    await transport.send(
      { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "x" } },
      { relatedRequestId: 1 },
    );
    held[0]?.release();
    const response = await pending;
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const messages = await events(response);
    expect(messages.map((m) => m.id ?? m.method)).toEqual([2, "notifications/message", 1]);
  });

  it("refuses a request id already in flight, instead of answering the wrong POST", async () => {
    const { transport, held, holding } = await harness();
    const started = holding();
    const first = post(transport, [call(7, "hold")]);
    await started;
    const second = await post(transport, [call(7, "echo")]);
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { message: string } }).error.message).toMatch(
      /already in flight/,
    );
    held[0]?.release();
    expect(await (await first).json()).toMatchObject({ id: 7, result: {} });
  });

  it("cancels the call behind a POST whose client went away", async () => {
    const { transport, held, holding } = await harness();
    const started = holding();
    const client = new AbortController();
    void post(transport, [call(1, "hold")], client.signal);
    await started;
    const aborted = new Promise((resolve) => held[0]?.signal.addEventListener("abort", resolve));
    client.abort();
    await aborted;
    expect(held[0]?.signal.aborted).toBe(true);
  });

  it("cancels the call behind a streamed POST whose reader went away", async () => {
    const { transport, held, holding } = await harness();
    const started = holding();
    const response = await post(transport, [call(1, "hold", { _meta: { progressToken: 1 } })]);
    await started;
    const aborted = new Promise((resolve) => held[0]?.signal.addEventListener("abort", resolve));
    await response.body?.cancel();
    await aborted;
    expect(held[0]?.signal.aborted).toBe(true);
  });

  it("answers what a closing session leaves unanswered with a 404, and nothing after", async () => {
    const { transport, holding } = await harness();
    const started = holding();
    const pending = post(transport, [call(1, "hold")]);
    await started;
    await transport.close();
    expect((await pending).status).toBe(404);
    expect((await post(transport, [call(2, "echo")])).status).toBe(404);
  });

  it("checks Accept, the protocol version and initialization, and allows one GET stream", async () => {
    const fresh = new StreamableHttpTransport("x");
    open.push(fresh);
    expect(
      (await fresh.post([call(1, "echo")], { accept: ACCEPT, protocolVersion: null })).status,
    ).toBe(400);
    const { transport } = await harness();
    const accept = (a: string) =>
      transport.post([call(1, "echo")], { accept: a, protocolVersion: null });
    expect((await accept("application/json")).status).toBe(406);
    const version = await transport.post([call(1, "echo")], {
      accept: ACCEPT,
      protocolVersion: "1999-01-01",
    });
    expect(version.status).toBe(400);
    expect(transport.openStream("application/json", null).status).toBe(406);
    const stream = transport.openStream("text/event-stream", VERSION);
    expect(stream.status).toBe(200);
    expect(transport.openStream("text/event-stream", VERSION).status).toBe(409);
    await transport.send({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
    const reader = stream.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toContain("notifications/tools/list_changed");
    await reader?.cancel();
    // Its reader gone, the stream may be opened again.
    expect(transport.openStream("text/event-stream", VERSION).status).toBe(200);
  });
});
