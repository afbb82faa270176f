import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mcpTestServerCommand } from "@aiproxy/testkit";
import { describe, expect, it } from "vitest";
import { gatewayFor, json, openAIError, put, servedGateway } from "./helpers/in-process.js";
import { closeAfterEach, upstreamForFile } from "./helpers/per-file.js";

const upstream = await upstreamForFile();
const closers = closeAfterEach();
const demo = mcpTestServerCommand("demo");

function config(extra: Record<string, unknown> = {}) {
  return {
    backends: [
      {
        name: "up",
        kind: "openai",
        base_url: upstream.openaiBaseUrl,
        api_key: "sk-admin-secret-99",
      },
    ],
    mcp_servers: [{ name: "demo", transport: "stdio", ...demo }],
    assistants: [{ name: "a1", backend: "up", model: "m", mcp_servers: ["demo"] }],
    ...extra,
  };
}

async function open(extra: Record<string, unknown> = {}, options = {}) {
  const gateway = await gatewayFor(config(extra), options);
  closers.push(() => gateway.close());
  return gateway;
}

const chat = (model: string) =>
  json({ model, messages: [{ role: "user", content: "what is 2 plus 3" }] });

describe("reading", () => {
  it("GET /admin/config redacts every secret", async () => {
    const gateway = await open({ proxy_api_keys: ["proxy-secret-1"] }, { allowOpen: true });
    const response = await gateway.call("/admin/config");
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain("sk-admin-secret-99");
    expect(text).not.toContain("proxy-secret-1");
    const body = JSON.parse(text);
    expect(body.backends.up.api_key).toBe("[REDACTED]");
    expect(body.assistants.a1.backend).toBe("up");
  });

  it("GET /admin/config shows the server settings in effect, not the file's", async () => {
    const flagged = await open(
      { server: { port: 8000 } },
      { port: 9123, corsOrigins: ["http://a"] },
    );
    const settings = (await (await flagged.call("/admin/config")).json()) as {
      server: { host: string; port: number; cors_origins: string[] };
    };
    expect(settings.server).toMatchObject({
      host: "127.0.0.1",
      port: 9123,
      cors_origins: ["http://a"],
    });

    // Listening on port 0, the port shown is the one the server bound.
    const served = await servedGateway(config({ server: { port: 8000 } }));
    closers.push(served.close);
    const shown = (await (await fetch(`${served.url}/admin/config`)).json()) as {
      server: { port: number };
    };
    expect(shown.server.port).toBe(Number(new URL(served.url).port));
    expect(shown.server.port).not.toBe(8000);
  });

  it("lists and gets each collection, with live status for MCP servers", async () => {
    const gateway = await open();
    const list = (await (await gateway.call("/admin/assistants")).json()) as {
      data: { name: string }[];
    };
    expect(list.data.map((a) => a.name)).toEqual(["a1"]);
    expect(await (await gateway.call("/admin/backends/up")).json()).toMatchObject({
      name: "up",
      api_key: "[REDACTED]",
    });
    const mcp = (await (await gateway.call("/admin/mcp/demo")).json()) as {
      status: { state: string };
    };
    expect(mcp.status.state).toBe("idle");
    const tools = (await (await gateway.call("/admin/mcp/demo/tools")).json()) as {
      data: { name: string }[];
    };
    expect(tools.data.map((t) => t.name)).toContain("add");
    const after = (await (await gateway.call("/admin/mcp/demo")).json()) as {
      status: { state: string; toolCount: number };
    };
    expect(after.status).toMatchObject({ state: "ready" });
    expect(after.status.toolCount).toBeGreaterThan(0);
  });

  it("answers 404 for unknown entries and collections", async () => {
    const gateway = await open();
    for (const path of [
      "/admin/assistants/zz",
      "/admin/backends/zz",
      "/admin/mcp/zz",
      "/admin/mcp/zz/tools",
      "/admin/other",
    ]) {
      const response = await gateway.call(path);
      expect(response.status, path).toBe(404);
      expect((await openAIError(response)).type).toBe("not_found_error");
    }
  });
});

describe("changing", () => {
  it("PUT creates (201) then replaces (200) an assistant, live for the next request", async () => {
    const gateway = await open();
    const created = await gateway.call("/admin/assistants/a2", put({ backend: "up", model: "m2" }));
    expect(created.status).toBe(201);
    upstream.enqueue({ text: "from a2" });
    const first = await gateway.call("/v1/chat/completions", chat("a2"));
    expect(first.status).toBe(200);
    expect(upstream.requests.at(-1)?.body.model).toBe("m2");

    const replaced = await gateway.call(
      "/admin/assistants/a2",
      put({ backend: "up", model: "m3", temperature: 0.5 }),
    );
    expect(replaced.status).toBe(200);
    upstream.enqueue({ text: "from a2 again" });
    await gateway.call("/v1/chat/completions", chat("a2"));
    expect(upstream.requests.at(-1)?.body).toMatchObject({ model: "m3", temperature: 0.5 });
  });

  it("refuses invalid bodies with 422 listing every problem", async () => {
    const gateway = await open();
    const response = await gateway.call(
      "/admin/assistants/bad",
      put({ backend: "missing", model: "", max_tool_iterations: -1 }),
    );
    expect(response.status).toBe(422);
    const { message } = await openAIError(response);
    expect(message).toContain("model");
    expect(message).toContain("max_tool_iterations");
    const unknown = await gateway.call(
      "/admin/assistants/bad",
      put({ backend: "missing", model: "m" }),
    );
    expect(unknown.status).toBe(422);
    expect((await openAIError(unknown)).message).toContain('unknown backend "missing"');
    const mismatch = await gateway.call("/admin/backends/x", put({ name: "y", kind: "openai" }));
    expect(mismatch.status).toBe(422);
    const notJson = await gateway.call("/admin/backends/x", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(notJson.status).toBe(400);
  });

  it("refuses to delete a backend or MCP server in use (409 naming the users), then deletes once free", async () => {
    const gateway = await open();
    const busy = await gateway.call("/admin/backends/up", { method: "DELETE" });
    expect(busy.status).toBe(409);
    expect((await openAIError(busy)).message).toContain("'a1'");
    const busyServer = await gateway.call("/admin/mcp/demo", { method: "DELETE" });
    expect(busyServer.status).toBe(409);

    expect((await gateway.call("/admin/assistants/a1", { method: "DELETE" })).status).toBe(200);
    expect((await gateway.call("/admin/mcp/demo", { method: "DELETE" })).status).toBe(200);
    expect((await gateway.call("/admin/backends/up", { method: "DELETE" })).status).toBe(200);
    expect((await gateway.call("/v1/chat/completions", chat("a1"))).status).toBe(404);
    expect((await gateway.call("/admin/backends/up", { method: "DELETE" })).status).toBe(404);
  });

  it("replacing a backend does not break a request in flight on the old one", async () => {
    const gateway = await open();
    upstream.enqueue({ text: "slow answer", delayMs: 400 });
    const inFlight = gateway.call("/v1/chat/completions", chat("a1"));
    await upstream.waitForRequests(upstream.requests.length + 1);
    const replaced = await gateway.call(
      "/admin/backends/up",
      put({
        kind: "openai",
        base_url: upstream.openaiBaseUrl,
        api_key: "sk-other-1234",
        timeout: 30,
      }),
    );
    expect(replaced.status).toBe(200);
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toContain("slow answer");
  });

  it("a secret sent back as GET shows it keeps the stored one; a placeholder with nothing stored is a 422", async () => {
    const gateway = await open();
    const shown = (await (await gateway.call("/admin/backends/up")).json()) as Record<
      string,
      unknown
    >;
    expect(shown.api_key).toBe("[REDACTED]");
    // The console's edit form does this: every field as shown, one changed.
    const edited: Record<string, unknown> = { ...shown, timeout: 45 };
    delete edited.status;
    const saved = await gateway.call("/admin/backends/up", put(edited));
    expect(saved.status).toBe(200);
    expect(((await saved.json()) as { api_key: string }).api_key).toBe("[REDACTED]");
    upstream.enqueue({ text: "still authorized" });
    const answered = await gateway.call("/v1/chat/completions", chat("a1"));
    expect(answered.status).toBe(200);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe("Bearer sk-admin-secret-99");
    const placeholder = await gateway.call(
      "/admin/backends/fresh",
      put({ kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "[REDACTED]" }),
    );
    expect(placeholder.status).toBe(422);
    expect(await openAIError(placeholder)).toMatchObject({
      param: "api_key",
      message: expect.stringContaining("stands for a stored secret"),
    });
  });

  it("adds a stdio MCP server on loopback, and refuses it when allow_stdio is false", async () => {
    const gateway = await open();
    const added = await gateway.call("/admin/mcp/demo2", put({ transport: "stdio", ...demo }));
    expect(added.status).toBe(201);

    const locked = await open({ admin: { allow_stdio: false } });
    const refused = await locked.call("/admin/mcp/demo3", put({ transport: "stdio", ...demo }));
    expect(refused.status).toBe(403);
    expect((await openAIError(refused)).message).toContain("allow_stdio");
    expect(locked.registry.fabric.has("demo3")).toBe(false);
    // A remote server spawns nothing and stays allowed.
    const remote = await locked.call(
      "/admin/mcp/remote",
      put({ transport: "http", url: "http://127.0.0.1:9/mcp" }),
    );
    expect(remote.status).toBe(201);
  });
});

describe("admin auth", () => {
  it("on a non-loopback bind without ADMIN_API_KEY answers 403 and spawns nothing", async () => {
    const gateway = await open({}, { host: "0.0.0.0", allowOpen: true });
    const response = await gateway.call(
      "/admin/mcp/evil",
      put({ transport: "stdio", command: "touch", args: ["/tmp/pwned"] }),
    );
    expect(response.status).toBe(403);
    expect((await openAIError(response)).message).toContain("ADMIN_API_KEY");
    expect(gateway.registry.fabric.has("evil")).toBe(false);
    expect((await gateway.call("/admin/config")).status).toBe(403);
  });

  it("with ADMIN_API_KEY requires it as a Bearer token, on any bind", async () => {
    const gateway = await open(
      {},
      { host: "0.0.0.0", allowOpen: true, adminApiKey: "admin-key-123456" },
    );
    const missing = await gateway.call("/admin/config");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(
      (await gateway.call("/admin/config", { headers: { authorization: "Bearer wrong" } })).status,
    ).toBe(401);
    const ok = await gateway.call("/admin/config", {
      headers: { authorization: "Bearer admin-key-123456" },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).not.toContain("admin-key-123456");
  });
});

describe("persistence", () => {
  it("writes changes atomically to persist_path and applies them over the config at start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aiproxy-state-"));
    const persist_path = join(dir, "state.json");
    const first = await open({ admin: { persist_path } });
    expect(
      (await first.call("/admin/assistants/added", put({ backend: "up", model: "m9" }))).status,
    ).toBe(201);
    expect((await first.call("/admin/assistants/a1", { method: "DELETE" })).status).toBe(200);
    const state = JSON.parse(readFileSync(persist_path, "utf8"));
    expect(state.assistants).toMatchObject({ added: { model: "m9" }, a1: null });
    expect(await (await first.call("/admin/assistants/added")).json()).toMatchObject({
      model: "m9",
    });
    expect((await first.call("/admin/assistants/a1")).status).toBe(404);
    expect(statSync(persist_path).mode & 0o777).toBe(0o600);
    await first.close();

    const second = await open({ admin: { persist_path } });
    const names = (await (await second.call("/v1/models")).json()) as { data: { id: string }[] };
    expect(names.data.map((m) => m.id)).toEqual(["added"]);
  });

  it("a change the file cannot take answers 500 and leaves the gateway as it was", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aiproxy-state-"));
    // The directory is missing at start (no state yet) and cannot be made once a file takes its name.
    const persist_path = join(dir, "sub", "state.json");
    const gateway = await open({ admin: { persist_path } });
    writeFileSync(join(dir, "sub"), "a file where the directory should be");

    const replaced = await gateway.call(
      "/admin/assistants/a1",
      put({ backend: "up", model: "m-new", mcp_servers: ["demo"] }),
    );
    expect(replaced.status).toBe(500);
    const error = await openAIError(replaced);
    expect(error).toMatchObject({ type: "server_error", code: "persist_failed" });
    expect(error.message).toMatch(
      new RegExp(`^could not save the change to ${persist_path.replace(/[.]/g, "\\.")}: \\S`),
    );
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(await (await gateway.call("/admin/assistants/a1")).json()).toMatchObject({ model: "m" });

    expect((await gateway.call("/admin/assistants/a1", { method: "DELETE" })).status).toBe(500);
    expect((await gateway.call("/admin/assistants/a1")).status).toBe(200);
    expect(
      (await gateway.call("/admin/assistants/a2", put({ backend: "up", model: "m2" }))).status,
    ).toBe(500);
    expect((await gateway.call("/admin/assistants/a2")).status).toBe(404);
    const models = (await (await gateway.call("/v1/models")).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(["a1"]);
    upstream.enqueue({ text: "still the old a1" });
    await gateway.call("/v1/chat/completions", chat("a1"));
    expect(upstream.requests.at(-1)?.body.model).toBe("m");
  });
});
