import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  mcpTestServerCommand,
  type ScriptedUpstream,
  startRedis,
  startScriptedUpstream,
  type TestRedis,
} from "@aiproxy/testkit";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayProcess, startGatewayProcess } from "./helpers/gateway-process.js";

/*
 * Three gateway processes on one real redis-server behave as one gateway:
 * admin changes on any replica reach all, racing writers lose nothing
 * silently, Redis dying fails no /v1 request, and its return heals.
 * Waits poll each replica's own answers with generous bounds; nothing
 * assumes one process is faster than another.
 */

const KEY = "replica-client-key";
const ADMIN = "replica-admin-key";
const BOUND = { timeout: 20_000, interval: 25 };

let upstream: ScriptedUpstream;
let redis: TestRedis;
let replicas: GatewayProcess[] = [];

function config(redisUrl: string, prefix: string) {
  return {
    server: { host: "127.0.0.1" },
    admin: { api_key: ADMIN },
    proxy_api_keys: [KEY],
    state: { store: "redis", redis_url: redisUrl, key_prefix: prefix, resync_interval: 0.2 },
    backends: [{ name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-up" }],
    assistants: [{ name: "a1", backend: "up", model: "m0" }],
  };
}

async function startReplicas(count: number, redisUrl: string, prefix: string) {
  return Promise.all(
    Array.from({ length: count }, () => startGatewayProcess({ config: config(redisUrl, prefix) })),
  );
}

function admin(gateway: GatewayProcess, path: string, init: RequestInit = {}) {
  return fetch(`${gateway.url}/admin${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      "content-type": "application/json",
      ...init.headers,
    },
  });
}

const putAssistant = (gateway: GatewayProcess, name: string, model: string, headers = {}) =>
  admin(gateway, `/assistants/${name}`, {
    method: "PUT",
    body: JSON.stringify({ backend: "up", model }),
    headers,
  });

async function modelOf(gateway: GatewayProcess, name: string): Promise<string | undefined> {
  const response = await admin(gateway, `/assistants/${name}`);
  if (response.status !== 200) return undefined;
  return ((await response.json()) as { model: string }).model;
}

async function status(gateway: GatewayProcess) {
  const body = (await (await admin(gateway, "/status")).json()) as {
    state: { kind: string; connected: boolean; version: string | null };
  };
  return body.state;
}

function chat(gateway: GatewayProcess, content: string) {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "a1", messages: [{ role: "user", content }] }),
  });
}

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await redis?.stop();
  await upstream?.close();
});

// Several processes and many polls per test: far longer than one request needs.
const SLOW = { timeout: 120_000 };

describe("three replicas on one Redis", SLOW, () => {
  it("a change on any replica is visible on all three", async () => {
    replicas = await startReplicas(3, redis.url, "p1:");
    for (const replica of replicas)
      expect(await status(replica)).toMatchObject({ kind: "redis", connected: true });
    for (let i = 0; i < 6; i++) {
      const writer = replicas[i % 3] as GatewayProcess;
      expect((await putAssistant(writer, "a1", `m-change-${i}`)).status).toBe(200);
      for (const replica of replicas)
        await expect.poll(() => modelOf(replica, "a1"), BOUND).toBe(`m-change-${i}`);
    }
    // Live, not just listed: the next request on another replica uses it.
    expect((await chat(replicas[2] as GatewayProcess, "hi")).status).toBe(200);
    expect(upstream.requests.at(-1)?.body.model).toBe("m-change-5");
  });

  it("ETag and If-Match: 100 racing writes on two replicas end as one of them, every loser told 412", async () => {
    const [one, two, three] = replicas as [GatewayProcess, GatewayProcess, GatewayProcess];
    const read = await admin(one, "/assistants/a1");
    const tag = read.headers.get("etag") as string;
    expect(tag).toMatch(/^".+"$/);
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const response = await putAssistant(i % 2 ? one : two, "a1", `race-${i}`, {
          "if-match": tag,
        });
        return { i, status: response.status, body: await response.json() };
      }),
    );
    const won = results.filter((r) => r.status === 200);
    const lost = results.filter((r) => r.status === 412);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(99);
    for (const loser of lost) expect(loser.body.error.code).toBe("precondition_failed");
    const winner = `race-${won[0]?.i}`;
    for (const replica of replicas)
      await expect.poll(() => modelOf(replica, "a1"), BOUND).toBe(winner);
    // A tag from before the race is stale now, on every replica; DELETE checks it too.
    expect(
      (await admin(three, "/assistants/a1", { method: "DELETE", headers: { "if-match": tag } }))
        .status,
    ).toBe(412);
  });

  it("without If-Match, 100 racing writes on two replicas all land: none is lost", async () => {
    const [one, two] = replicas as [GatewayProcess, GatewayProcess];
    const statuses = await Promise.all(
      Array.from(
        { length: 100 },
        async (_, i) => (await putAssistant(i % 2 ? one : two, `n${i}`, `m${i}`)).status,
      ),
    );
    expect(statuses.every((s) => s === 201)).toBe(true);
    for (const replica of replicas)
      await expect
        .poll(async () => {
          const list = (await (await admin(replica, "/assistants")).json()) as {
            data: { name: string }[];
          };
          return list.data.filter((a) => a.name.startsWith("n")).length;
        }, BOUND)
        .toBe(100);
    expect(await modelOf(replicas[2] as GatewayProcess, "n57")).toBe("m57");
  });

  it("a Responses chain alternating between two replicas keeps its previous_response_id", async () => {
    const [one, two] = replicas as [GatewayProcess, GatewayProcess];
    let previous: string | undefined;
    for (let turn = 0; turn < 4; turn++) {
      const response = await fetch(`${(turn % 2 ? two : one).url}/v1/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "a1",
          input: `turn ${turn}`,
          store: true,
          ...(previous && { previous_response_id: previous }),
        }),
      });
      expect(response.status).toBe(200);
      previous = ((await response.json()) as { id: string }).id;
    }
    const messages = upstream.requests.at(-1)?.body.messages as {
      role: string;
      content: unknown;
    }[];
    expect(messages.filter((m) => m.role === "user")).toHaveLength(4);
    // Read back from the replica that did not write it.
    const stored = await fetch(`${two.url}/v1/responses/${previous}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(stored.status).toBe(200);
  });

  it("kill -9 of Redis during traffic fails no /v1 request; writes answer 503; Redis back: converged, nothing lost", async () => {
    const before = await modelOf(replicas[0] as GatewayProcess, "n3");
    expect(before).toBe("m3");
    let stop = false;
    const failures: number[] = [];
    let served = 0;
    const traffic = replicas.map(async (replica, r) => {
      for (let i = 0; !stop; i++) {
        const response = await chat(replica, `traffic ${r} ${i}`);
        if (response.status !== 200) failures.push(response.status);
        else served++;
        await response.arrayBuffer();
      }
    });
    await expect.poll(() => served, BOUND).toBeGreaterThan(10);
    await redis.kill();
    for (const replica of replicas)
      await expect.poll(async () => (await status(replica)).connected, BOUND).toBe(false);
    const refused = await putAssistant(replicas[1] as GatewayProcess, "n3", "while-down");
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "store_unavailable",
    );
    const servedWhileDown = served;
    await expect.poll(() => served, BOUND).toBeGreaterThan(servedWhileDown + 10);

    // Back, empty (it saved nothing): the replicas seed it with what they serve and agree again.
    await redis.restart();
    for (const replica of replicas)
      await expect.poll(async () => (await status(replica)).connected, BOUND).toBe(true);
    const versions = async () =>
      new Set(await Promise.all(replicas.map(async (r) => (await status(r)).version)));
    await expect.poll(async () => [...(await versions())].length, BOUND).toBe(1);
    expect([...(await versions())][0]).not.toBeNull();
    stop = true;
    await Promise.all(traffic);
    expect(failures).toEqual([]);
    for (const replica of replicas) expect(await modelOf(replica, "n3")).toBe("m3");
    // And writes work again, everywhere.
    expect((await putAssistant(replicas[2] as GatewayProcess, "n3", "after")).status).toBe(200);
    for (const replica of replicas)
      await expect.poll(() => modelOf(replica, "n3"), BOUND).toBe("after");
  });
});

describe("Redis unreachable at start", SLOW, () => {
  it("starts from the file config and says so, then follows Redis once it answers", async () => {
    const late = await startRedis();
    await late.kill();
    let gateway: GatewayProcess | undefined;
    try {
      gateway = await startGatewayProcess({ config: config(late.url, "p2:") });
      await gateway.waitForLog((line) => /Redis is unreachable at start/.test(String(line.msg)));
      expect(await modelOf(gateway, "a1")).toBe("m0");
      expect(await status(gateway)).toMatchObject({ connected: false });
      expect((await chat(gateway, "served without Redis")).status).toBe(200);
      expect((await putAssistant(gateway, "a1", "no")).status).toBe(503);
      await late.restart();
      await expect
        .poll(async () => (await status(gateway as GatewayProcess)).connected, BOUND)
        .toBe(true);
      await expect
        .poll(async () => (await status(gateway as GatewayProcess)).version, BOUND)
        .not.toBeNull();
      expect((await putAssistant(gateway, "a1", "yes")).status).toBe(200);
      expect(await modelOf(gateway, "a1")).toBe("yes");
    } finally {
      await gateway?.stop();
      await late.stop();
    }
  });
});

describe("an empty Redis", SLOW, () => {
  it("is seeded with the admin.persist_path overlay of the first replica; the next one follows it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aiproxy-seed-"));
    const persist_path = join(dir, "state.json");
    const overlay = {
      version: 1,
      backends: {},
      mcp_servers: {},
      assistants: { seeded: { name: "seeded", backend: "up", model: "from-file" } },
    };
    writeFileSync(persist_path, JSON.stringify(overlay));
    const withFile = { ...config(redis.url, "p3:"), admin: { api_key: ADMIN, persist_path } };
    const first = await startGatewayProcess({ config: withFile });
    const second = await startGatewayProcess({ config: config(redis.url, "p3:") });
    try {
      await expect.poll(() => modelOf(second, "seeded"), BOUND).toBe("from-file");
      expect(await modelOf(first, "seeded")).toBe("from-file");
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});

describe("an MCP session on two replicas", SLOW, () => {
  const OTHER = "replica-other-key";
  const bin = (name: string) => join(import.meta.dirname, "..", "node_modules", ".bin", name);
  let pair: [GatewayProcess, GatewayProcess];
  let faultLog: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    faultLog = join(mkdtempSync(join(tmpdir(), "aiproxy-mcp-replicas-")), "fault.log");
    const faults = mcpTestServerCommand("faults");
    const withMcp = {
      ...config(redis.url, "p4:"),
      proxy_api_keys: [KEY, OTHER],
      mcp_servers: [
        { name: "everything", transport: "stdio", command: bin("mcp-server-everything") },
        {
          name: "faults",
          transport: "stdio",
          command: faults.command,
          args: faults.args,
          env: { FAULT_LOG: faultLog },
        },
      ],
    };
    const [one, two] = await Promise.all(
      [0, 1].map(() => startGatewayProcess({ config: withMcp })),
    );
    pair = [one as GatewayProcess, two as GatewayProcess];
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await Promise.all((pair ?? []).map((replica) => replica.stop()));
  });

  /** An SDK client whose every request goes to the replica `pick` names (the origin rewritten). */
  async function connect(pick: (n: number) => GatewayProcess) {
    const served: string[] = [];
    let n = 0;
    const transport = new StreamableHTTPClientTransport(new URL(`${pair[0].url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${KEY}` } },
      fetch: (input, init) => {
        const target = pick(n++);
        const url = new URL(input instanceof Request ? input.url : String(input));
        const origin = new URL(target.url);
        url.host = origin.host;
        served.push(target.url);
        return fetch(url, init);
      },
    });
    const client = new Client({ name: "replica-test", version: "1.0.0" });
    await client.connect(transport);
    clients.push(client);
    // The servers behind start with each replica: listed once both are up.
    await expect
      .poll(async () => (await client.listTools()).tools.map((t) => t.name), BOUND)
      .toContain("faults__hold");
    return { client, transport, served };
  }

  const listBody = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  const listOn = (replica: GatewayProcess, id: string, key = KEY) =>
    fetch(`${replica.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": id,
        "mcp-protocol-version": "2025-06-18",
      },
      body: listBody,
    });

  it("an MCP session alternating between two replicas keeps working", async () => {
    const [one, two] = pair;
    const { client, served } = await connect((n) => (n % 2 ? two : one));
    for (let i = 0; i < 6; i++) {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("everything__echo");
      const result = (await client.callTool({
        name: "everything__echo",
        arguments: { message: `turn ${i}` },
      })) as { content: Array<{ text?: string }> };
      expect(result.content[0]?.text).toBe(`Echo: turn ${i}`);
    }
    expect(new Set(served)).toEqual(new Set([one.url, two.url]));
  });

  it("a session DELETEd on one replica is 404 on the other; another caller's key is 404 on both", async () => {
    const [one, two] = pair;
    let target = one;
    const { client, transport } = await connect(() => target);
    const id = transport.sessionId as string;
    target = two;
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    for (const replica of pair) {
      const intruder = await listOn(replica, id, OTHER);
      expect(intruder.status).toBe(404);
      await intruder.arrayBuffer();
    }
    const own = await listOn(one, id);
    expect(own.status).toBe(200);
    await own.arrayBuffer();
    await transport.terminateSession();
    for (const replica of pair) {
      const after = await listOn(replica, id);
      expect(after.status).toBe(404);
      await after.arrayBuffer();
    }
  });

  it("a call running on one replica is cancelled by the client's notifications/cancelled sent to the other", async () => {
    const [one, two] = pair;
    let target = one;
    const { client } = await connect(() => target);
    const hold = new AbortController();
    const held = client.callTool({ name: "faults__hold", arguments: { tag: "cross" } }, undefined, {
      signal: hold.signal,
    });
    const rejected = expect(held).rejects.toThrow();
    const log = () => (existsSync(faultLog) ? readFileSync(faultLog, "utf8") : "");
    await expect.poll(log, BOUND).toContain("held cross");
    // The cancel goes to the replica not running the call; the call behind it on the first one ends.
    target = two;
    hold.abort("stop");
    await rejected;
    await expect.poll(log, BOUND).toContain("cancelled hold cross");
    const echo = (await client.callTool({
      name: "everything__echo",
      arguments: { message: "still on" },
    })) as { content: Array<{ text?: string }> };
    expect(echo.content[0]?.text).toBe("Echo: still on");
  });
});
