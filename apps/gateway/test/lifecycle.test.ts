import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { isAlive, mcpTestServerCommand } from "@aiproxy/testkit";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, startGatewayProcess } from "./helpers/gateway-process.js";
import { upstreamForFile } from "./helpers/per-file.js";

const upstream = await upstreamForFile();

/** Child processes of `pid`, from ps. */
function childrenOf(pid: number): number[] {
  const out = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], {
    encoding: "utf8",
  }).trim();
  return out ? out.split(/\s+/).map(Number) : [];
}

const faults = mcpTestServerCommand("faults");

function config() {
  return {
    server: { shutdown_grace: 10 },
    backends: [
      { name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-x-1234" },
    ],
    mcp_servers: [{ name: "faults", transport: "stdio", ...faults }],
    assistants: [{ name: "a", backend: "up", model: "m", mcp_servers: ["faults"] }],
  };
}

describe("SIGTERM", () => {
  it("drains: /ready turns 503, new connections are refused, the stream in flight completes, children are gone, exit 0", async () => {
    const gateway = await startGatewayProcess({ config: config() });
    // Starts the stdio child, so shutdown has one to stop.
    upstream.enqueue({ toolCalls: [{ name: "faults__pid", arguments: {} }] }, { text: "started" });
    const client = new OpenAI({ apiKey: "x", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({
      model: "a",
      messages: [{ role: "user", content: "go" }],
    });
    const children = childrenOf(gateway.child.pid as number);
    expect(children.length).toBeGreaterThan(0);

    // Held after its first words until /ready has been seen draining, so the
    // stream is surely in flight while the gateway drains.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    upstream.enqueue({
      text: "one two three four five six seven eight",
      hold: released,
      holdAfterChunks: 2,
    });
    const stream = await client.chat.completions.create({
      model: "a",
      messages: [{ role: "user", content: "slow" }],
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);

    gateway.child.kill("SIGTERM");
    // The gateway logs "draining" in the same turn as it starts to drain.
    await gateway.waitForLog((entry) => entry.msg === "draining");
    // While draining, a request already on an open keep-alive connection may
    // still be answered; /ready says not to send more.
    const ready = await fetch(`${gateway.url}/ready`).catch(() => undefined);
    if (ready) expect(ready.status).toBe(503);
    release();

    let text = "";
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      text += next.value.choices[0]?.delta.content ?? "";
    expect(text).toContain("eight");

    expect(await gateway.exited).toBe(0);
    await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();
    for (const pid of children) expect(isAlive(pid), `child ${pid}`).toBe(false);
  });
});

describe("client disconnect", () => {
  it("aborts the upstream call of a stream within a second", async () => {
    const gateway = await startGatewayProcess({ config: config() });
    try {
      // Stalls mid-stream: only the client leaving can end the upstream call.
      upstream.enqueue({ text: "a b c d e f g h i j k l m n o p", stallAfterChunks: 3 });
      const before = upstream.requests.length;
      const controller = new AbortController();
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "a",
          stream: true,
          messages: [{ role: "user", content: "x" }],
        }),
        signal: controller.signal,
      });
      const reader = response.body?.getReader();
      await reader?.read();
      await upstream.waitForRequests(before + 1);
      expect(upstream.activeRequests()).toBe(1);
      controller.abort();
      await upstream.waitForIdle(1000);
      expect(upstream.activeRequests()).toBe(0);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });
});

describe("the README demo", () => {
  it("config.example.yaml starts with no API key and runs a real tool round", async () => {
    const gateway = await startGatewayProcess({
      config: join(REPO_ROOT, "config.example.yaml"),
    });
    try {
      const client = new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).toContain("demo");
      // Hosted backends without keys are left out rather than failing later.
      expect(models.data.map((m) => m.id)).not.toContain("gpt");
      const completion = await client.chat.completions.create({
        model: "demo",
        messages: [{ role: "user", content: "what is 2 plus 3?" }],
      });
      expect(completion.choices[0]?.message.content).toMatch(/\b5\b/);
      // Logged once the run settles, which may trail the response by a tick.
      expect(await gateway.waitForLog((entry) => entry.msg === "chat completion")).toMatchObject({
        assistant: "demo",
        steps: 2,
      });
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });

  it("an invalid config stops the start with every problem by its path", async () => {
    const error = await startGatewayProcess({
      config: {
        backends: [{ name: "b", kind: "nope" }],
        assistants: [{ name: "x", backend: "missing", model: "m" }],
      },
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("exited with 1");
    expect((error as Error).message).toContain("backends[0].kind");
    expect((error as Error).message).toContain('assistants[0].backend: unknown backend "missing"');
  });
});
