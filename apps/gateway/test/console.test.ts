import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminPolicy } from "@aiproxy/auth";
import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_CSP, consoleStatic } from "../src/console/static.js";
import { REPO_ROOT } from "./helpers/gateway-process.js";
import { gatewayFor, json } from "./helpers/in-process.js";

/**
 * The console's gateway side: static files at /ui under the admin policy with
 * a strict CSP and no cookies, the admin tool call, and the request tail.
 */

const ADMIN = "admin-key-console";
const DEMO_MCP = join(REPO_ROOT, "packages", "demo", "dist", "mcp-server.js");
const BUILT = join(REPO_ROOT, "apps", "console", "dist");

let upstream: ScriptedUpstream;
let gateway: Awaited<ReturnType<typeof gatewayFor>>;
const admin = { authorization: `Bearer ${ADMIN}` };

beforeAll(async () => {
  upstream = await startScriptedUpstream({ fallback: () => ({ text: "Hello from upstream." }) });
  gateway = await gatewayFor(
    {
      backends: [
        { name: "main", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-1" },
      ],
      mcp_servers: [
        { name: "demo", transport: "stdio", command: process.execPath, args: [DEMO_MCP] },
      ],
      assistants: [{ name: "helper", backend: "main", model: "gpt-x", mcp_servers: ["demo"] }],
    },
    { adminApiKey: ADMIN },
  );
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

describe("/ui", () => {
  it("serves index.html with a strict CSP, no cookie, and no inline script", async () => {
    const response = await gateway.call("/ui/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("default-src 'self'");
    expect(CONSOLE_CSP).not.toContain("unsafe-inline");
    expect(response.headers.get("set-cookie")).toBeNull();
    const html = await response.text();
    expect(html).toMatch(/<script type="module" crossorigin src="\.\/assets\/[^"]+\.js">/);
    expect(html).not.toMatch(/<script(?![^>]*src=)[^>]*>/);
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    const script = await gateway.call(`/ui/${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect(script.headers.get("cache-control")).toContain("immutable");
  });

  it("redirects /ui to /ui/ and keeps paths inside the console folder", async () => {
    const bare = await gateway.call("/ui");
    expect(bare.status).toBe(301);
    expect(bare.headers.get("location")).toBe("/ui/");
    expect((await gateway.call("/ui/..%2f..%2fpackage.json")).status).toBe(404);
    expect((await gateway.call("/ui/nothing.js")).status).toBe(404);
  });

  it("answers a clear 503 page when the console is not built", async () => {
    const app = consoleStatic({
      policy: adminPolicy({ host: "127.0.0.1" }),
      dir: mkdtempSync(join(tmpdir(), "no-console-")),
    });
    const response = await app.request("http://127.0.0.1/ui/");
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("pnpm --filter @aiproxy/console build");
    expect(response.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
  });

  it("is refused off loopback without an admin key, served with one (the page asks for it)", async () => {
    const open = consoleStatic({ policy: adminPolicy({ host: "0.0.0.0" }), dir: BUILT });
    const refused = await open.request("http://10.0.0.5/ui/");
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("ADMIN_API_KEY");
    const keyed = consoleStatic({
      policy: adminPolicy({ host: "0.0.0.0", adminApiKey: "k" }),
      dir: BUILT,
    });
    expect((await keyed.request("http://10.0.0.5/ui/")).status).toBe(200);
  });
});

describe("POST /admin/mcp/{name}/tools/{tool}/call", () => {
  it("calls the tool and answers its text, only with the admin key", async () => {
    const tools = (await (
      await gateway.call("/admin/mcp/demo/tools", { headers: admin })
    ).json()) as {
      data: { name: string; inputSchema: { properties?: Record<string, unknown> } }[];
    };
    const tool = tools.data[0];
    expect(tool).toBeDefined();
    const path = `/admin/mcp/demo/tools/${tool?.name}/call`;
    expect((await gateway.call(path, json({ arguments: {} }))).status).toBe(401);
    const response = await gateway.call(path, json({ arguments: {} }, admin));
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      isError: boolean;
      content: string;
      durationMs: number;
    };
    expect(typeof body.content).toBe("string");
    expect(body.durationMs).toBeGreaterThanOrEqual(0);
    const unknown = await gateway.call("/admin/mcp/demo/tools/no_such_tool/call", json({}, admin));
    expect(((await unknown.json()) as { isError: boolean }).isError).toBe(true);
    const bad = await gateway.call(path, json({ arguments: [1] }, admin));
    expect(bad.status).toBe(422);
    expect((await gateway.call("/admin/mcp/nope/tools/x/call", json({}, admin))).status).toBe(404);
  });
});

describe("GET /admin/requests/stream", () => {
  it("replays recent runs, then streams each new run's line with its steps", async () => {
    expect((await gateway.call("/admin/requests/stream")).status).toBe(401);
    await gateway.call(
      "/v1/chat/completions",
      json({ model: "helper", messages: [{ role: "user", content: "first" }] }),
    );
    const controller = new AbortController();
    const response = await gateway.call("/admin/requests/stream", {
      headers: admin,
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const until = async (done: (t: string) => boolean) => {
      while (!done(text)) {
        const { value, done: ended } = await reader.read();
        if (ended) throw new Error(`stream ended: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await until((t) => t.includes('"assistant":"helper"'));
    await gateway.call(
      "/v1/chat/completions",
      json({ model: "helper", messages: [{ role: "user", content: "second" }] }),
    );
    await until((t) => (t.match(/^data: /gm) ?? []).length >= 2);
    const lines = text
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
    expect(lines[1]).toMatchObject({ assistant: "helper", status: 200, msg: "chat completion" });
    expect(lines[1]?.stepList).toHaveLength(1);
    expect(lines[1]?.id).toBeGreaterThan(lines[0]?.id as number);
    controller.abort();
    await reader.cancel().catch(() => {});
  });
});
