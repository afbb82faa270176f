import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, mcpTestServerCommand, trailingToolResults } from "@aiproxy/testkit";
import { describe, expect, it, vi } from "vitest";
import { json, servedGateway } from "../helpers/in-process.js";
import { closeAfterEach, upstreamForFile } from "../helpers/per-file.js";

/** MCP servers that crash, hang or flood, and models that misuse tools. */

const upstream = await upstreamForFile();
const closers = closeAfterEach();
const faults = mcpTestServerCommand("faults");
const faultLog = join(mkdtempSync(join(tmpdir(), "aiproxy-faults-")), "fault.log");

async function serve(
  assistant: Record<string, unknown> = {},
  server: Record<string, unknown> = {},
) {
  const served = await servedGateway({
    backends: [
      { name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-t-1234" },
    ],
    mcp_servers: [
      {
        name: "faults",
        transport: "stdio",
        ...faults,
        env: { FAULT_LOG: faultLog },
        timeout: 2,
        ...server,
      },
    ],
    assistants: [{ name: "a", backend: "up", model: "m", mcp_servers: ["faults"], ...assistant }],
  });
  closers.push(served.close);
  return served;
}

async function chat(url: string, init: RequestInit = {}) {
  const response = await fetch(`${url}/v1/chat/completions`, {
    ...json({ model: "a", messages: [{ role: "user", content: "go" }] }),
    ...init,
  });
  const body = (await response.json()) as { choices: { message: { content: string | null } }[] };
  return { status: response.status, body };
}

/** The text of the tool results the upstream received in the latest request. */
function toolResultsSent(): { text: string; isError?: boolean }[] {
  const request = upstream.requests.at(-1);
  return request ? trailingToolResults(request) : [];
}

describe("an MCP server that misbehaves", () => {
  it("crashes mid-call: the model gets a tool error, the request completes, the next call runs on a new process", async () => {
    const { url, gateway } = await serve();
    upstream.enqueue({ toolCalls: [{ name: "faults__pid", arguments: {} }] }, { text: "ok" });
    await chat(url);
    const firstPid = Number(toolResultsSent()[0]?.text);
    expect(isAlive(firstPid)).toBe(true);

    upstream.enqueue(
      { toolCalls: [{ name: "faults__crash", arguments: {} }] },
      { text: "recovered" },
    );
    const started = Date.now();
    const crashed = await chat(url);
    expect(crashed.status).toBe(200);
    expect(crashed.body.choices[0]?.message.content).toBe("recovered");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(toolResultsSent()[0]?.text.toLowerCase()).toMatch(/error|closed|crash|exit/);
    // Failed by the crash itself, not by the call's 2 s timeout.
    expect(toolResultsSent()[0]?.text.toLowerCase()).not.toContain("timed out");
    expect(isAlive(firstPid)).toBe(false);

    upstream.enqueue({ toolCalls: [{ name: "faults__pid", arguments: {} }] }, { text: "ok" });
    await chat(url);
    const secondPid = Number(toolResultsSent()[0]?.text);
    expect(secondPid).not.toBe(firstPid);
    expect(gateway.registry.fabric.status("faults")?.restarts).toBeGreaterThanOrEqual(1);
  });

  it("hangs: the call times out as configured, the server sees the cancellation, the request completes", async () => {
    const { url } = await serve({}, { timeout: 1 });
    upstream.enqueue({ toolCalls: [{ name: "faults__hang", arguments: {} }] }, { text: "gave up" });
    const result = await chat(url);
    expect(result.status).toBe(200);
    expect(toolResultsSent()[0]?.text.toLowerCase()).toContain("timed out");
    await expect
      .poll(() => readFileSync(faultLog, "utf8"), { timeout: 3000 })
      .toContain("cancelled hang");
  });

  it("returns 50 MB: the model gets clipped text or a tool error, and the gateway's memory stays bounded", async () => {
    const { url } = await serve({ tool_result_max_chars: 10_000 });
    const before = process.memoryUsage().rss;
    upstream.enqueue(
      { toolCalls: [{ name: "faults__huge", arguments: { bytes: 50 * 1024 * 1024 } }] },
      { text: "read it" },
    );
    const result = await chat(url);
    expect(result.status).toBe(200);
    expect(result.body.choices[0]?.message.content).toBe("read it");
    const [sent] = toolResultsSent();
    expect(sent?.text.length).toBeLessThan(12_000);
    expect(sent?.text).toMatch(/\[truncated|closed the connection|timed out|too large/);
    // 50 MB of text, held a few times over, would show; the bound is loose on purpose.
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * 1024 * 1024);
  });

  it("leaves no child process once the gateway is closed", async () => {
    const { url, close } = await serve();
    upstream.enqueue({ toolCalls: [{ name: "faults__pid", arguments: {} }] }, { text: "ok" });
    await chat(url);
    const pid = Number(toolResultsSent()[0]?.text);
    expect(isAlive(pid)).toBe(true);
    await close();
    expect(isAlive(pid)).toBe(false);
  });
});

describe("a model that misuses tools", () => {
  it("calls an unknown tool: it gets a tool error and may answer", async () => {
    const { url } = await serve();
    upstream.enqueue({ toolCalls: [{ name: "nope__missing", arguments: {} }] }, { text: "sorry" });
    const result = await chat(url);
    expect(result.status).toBe(200);
    expect(toolResultsSent()[0]?.text).toMatch(/unknown tool|not found|no tool/i);
  });

  it("sends invalid JSON arguments: it gets a tool error naming the problem", async () => {
    const { url } = await serve();
    upstream.enqueue(
      { toolCalls: [{ name: "faults__pid", arguments: "{not json" }] },
      { text: "oops" },
    );
    const result = await chat(url);
    expect(result.status).toBe(200);
    expect(toolResultsSent()[0]?.text).toMatch(/json/i);
  });

  it("loops on a tool forever: the budget ends it with one last step without tools", async () => {
    const { url } = await serve({ max_tool_iterations: 3 });
    upstream.setFallback((request) =>
      request.body.tools?.length
        ? { toolCalls: [{ name: "faults__pid", arguments: {} }] }
        : { text: "forced to answer" },
    );
    const before = upstream.requests.length;
    try {
      const result = await chat(url);
      expect(result.status).toBe(200);
      expect(result.body.choices[0]?.message.content).toBe("forced to answer");
      const requests = upstream.requests.slice(before);
      expect(requests).toHaveLength(4);
      expect(requests.at(-1)?.body.tools).toBeUndefined();
    } finally {
      upstream.setFallback((request) => ({ text: `echo ${request.body.messages?.length}` }));
    }
  });
});

describe("a client that goes away", () => {
  it("cancels running tool calls within a second", async () => {
    const { url, gateway } = await serve({}, { timeout: 60 });
    const { fabric } = gateway.registry;
    const callTool = fabric.callTool.bind(fabric);
    let sleepCalled!: () => void;
    const sleeping = new Promise<void>((resolve) => {
      sleepCalled = resolve;
    });
    const spy = vi.spyOn(fabric, "callTool").mockImplementation((server, tool, args, options) => {
      const result = callTool(server, tool, args, options);
      if (tool === "sleep") sleepCalled();
      return result;
    });
    upstream.enqueue({
      toolCalls: [{ name: "faults__sleep", arguments: { ms: 60_000, tag: "disconnect" } }],
    });
    const controller = new AbortController();
    const pending = fetch(`${url}/v1/chat/completions`, {
      ...json({ model: "a", messages: [{ role: "user", content: "go" }] }),
      signal: controller.signal,
    }).catch(() => undefined);
    await sleeping;
    spy.mockRestore();
    // A later call on the same session: the server reads its messages in
    // order, so once this is answered it has the sleep call running.
    const pid = await callTool("faults", "pid", {});
    expect(pid.isError).toBe(false);
    controller.abort();
    await pending;
    await expect
      .poll(() => readFileSync(faultLog, "utf8"), { timeout: 1000 })
      .toContain("cancelled sleep disconnect");
  });
});
