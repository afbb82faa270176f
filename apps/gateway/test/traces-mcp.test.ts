import { type ChildProcess, spawn } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  type RecordedRequest,
  type ScriptedUpstream,
  startScriptedUpstream,
  type Turn,
} from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFor, json } from "./helpers/in-process.js";
import { type ReceivedSpan, startOtlpReceiver } from "./helpers/otlp-receiver.js";

/**
 * Trace context reaches an HTTP MCP server: the tool call's HTTP request
 * carries the `execute_tool` span's `traceparent`, and so does its `_meta`.
 * The real server-everything (streamable HTTP) sits behind a recording proxy.
 */

const KEY = "proxy-key-traces-mcp";
const EVERYTHING = join(import.meta.dirname, "..", "node_modules", ".bin", "mcp-server-everything");
const TRACE = "5bf92f3577b34da6a3ce929d0e0e4736";

interface Forwarded {
  traceparent: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: JSON-RPC bodies, indexed freely.
  body: any;
}

function freePort(): Promise<number> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    }),
  );
}

/** Forwards to 127.0.0.1:`port`, recording each POST's traceparent and body. */
async function recordingProxy(
  port: number,
): Promise<{ url: string; seen: Forwarded[]; server: Server }> {
  const seen: Forwarded[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (req.method === "POST")
      seen.push({
        traceparent: req.headers.traceparent as string | undefined,
        body: body.length > 0 ? JSON.parse(body.toString("utf8")) : undefined,
      });
    const upstream = httpRequest(
      { host: "127.0.0.1", port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen, server };
}

function oneEcho(request: RecordedRequest): Turn {
  if (JSON.stringify(request.body.messages).includes('"role":"tool"')) return { text: "done" };
  return { toolCalls: [{ name: "ev__echo", arguments: { message: "traced" } }] };
}

let everything: ChildProcess;
let proxy: Awaited<ReturnType<typeof recordingProxy>>;
let upstream: ScriptedUpstream;
let spans: ReceivedSpan[];

beforeAll(async () => {
  const port = await freePort();
  everything = spawn(EVERYTHING, ["streamableHttp"], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    everything.once("exit", (code) => reject(new Error(`server-everything exited ${code}`)));
    // It says so on stderr (older versions: stdout).
    for (const stream of [everything.stdout, everything.stderr])
      stream?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("listening")) resolve();
      });
  });
  proxy = await recordingProxy(port);
  upstream = await startScriptedUpstream({ fallback: oneEcho });
  const receiver = await startOtlpReceiver();
  const gateway = await gatewayFor(
    {
      proxy_api_keys: [KEY],
      backends: [
        { name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-up-2" },
      ],
      mcp_servers: [{ name: "ev", transport: "streamable-http", url: proxy.url }],
      assistants: [{ name: "helper", backend: "up", model: "gpt-up", mcp_servers: ["ev"] }],
      telemetry: { traces: { otlp_endpoint: receiver.url } },
    },
    { env: {} },
  );
  try {
    const response = await gateway.call(
      "/v1/chat/completions",
      json(
        { model: "helper", messages: [{ role: "user", content: "echo" }] },
        { authorization: `Bearer ${KEY}`, traceparent: `00-${TRACE}-00f067aa0ba902b7-01` },
      ),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("done");
  } finally {
    await gateway.close();
  }
  await receiver.waitForSpans(6);
  spans = receiver.spans;
  await receiver.close();
});

afterAll(async () => {
  everything?.kill("SIGTERM");
  await new Promise<void>((resolve) => proxy?.server.close(() => resolve()) ?? resolve());
  await upstream?.close();
});

describe("an HTTP MCP server's tool call", () => {
  it("carries the execute_tool span's traceparent as a header and in _meta", () => {
    const tool = spans.find((s) => s.name === "execute_tool ev__echo");
    expect(tool?.traceId).toBe(TRACE);
    const expected = `00-${TRACE}-${tool?.spanId}-01`;
    const calls = proxy.seen.filter((f) => f.body?.method === "tools/call");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.traceparent).toBe(expected);
    expect(calls[0]?.body.params._meta).toMatchObject({ traceparent: expected });
    // Requests outside a tool call (initialize, tools/list) carry none.
    const others = proxy.seen.filter((f) => f.body?.method !== "tools/call");
    expect(others.length).toBeGreaterThan(0);
    for (const other of others) expect(other.traceparent).toBeUndefined();
  });
});
