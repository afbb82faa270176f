import {
  mcpTestServerCommand,
  type ScriptedUpstream,
  startScriptedUpstream,
  trailingToolResults,
} from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayProcess, startGatewayProcess } from "../helpers/gateway-process.js";

/**
 * Canary secrets planted everywhere a secret lives (backend key, Apiman
 * secret, proxy keys, admin key, the gateway's own environment) must never
 * come back in a response body, a log line, an error or a stdio child's
 * environment; the caller's key never goes upstream.
 */

const CANARY = {
  backendKey: "sk-canary-backend-7f3a9",
  proxyKey: "canary-proxy-key-51c2e",
  adminKey: "canary-admin-key-0d4b8",
  envSecret: "sk-canary-env-openai-92e1",
  apimanSecret: "canary-apiman-secret-a81f",
};

let upstream: ScriptedUpstream;
let gateway: GatewayProcess;
const bodies: string[] = [];

beforeAll(async () => {
  upstream = await startScriptedUpstream({ requireApiKey: CANARY.backendKey });
  gateway = await startGatewayProcess({
    config: {
      admin: { api_key: CANARY.adminKey, allow_stdio: true },
      proxy_api_keys: [CANARY.proxyKey],
      apiman: { mode: "trusted_header", header: "X-Apiman-Auth", secret: CANARY.apimanSecret },
      backends: [
        {
          name: "up",
          kind: "openai",
          base_url: upstream.openaiBaseUrl,
          api_key: CANARY.backendKey,
        },
        // The same upstream with a wrong key: its 401 error must not echo our key back.
        {
          name: "wrong",
          kind: "openai",
          base_url: upstream.openaiBaseUrl,
          api_key: `${CANARY.backendKey}-x`,
        },
      ],
      mcp_servers: [{ name: "faults", transport: "stdio", ...mcpTestServerCommand("faults") }],
      assistants: [
        { name: "a", backend: "up", model: "m", mcp_servers: ["faults"] },
        { name: "bad", backend: "wrong", model: "m" },
      ],
    },
    env: { OPENAI_API_KEY: CANARY.envSecret, ADMIN_API_KEY: CANARY.adminKey },
  });
});

afterAll(async () => {
  expect(await gateway?.stop()).toBe(0);
  await upstream?.close();
});

async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${gateway.url}${path}`, init);
  const text = await response.text();
  bodies.push(text);
  return { status: response.status, text };
}

const auth = { authorization: `Bearer ${CANARY.proxyKey}` };
const admin = { authorization: `Bearer ${CANARY.adminKey}` };
const chat = (model: string, headers: Record<string, string> = auth) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
});

describe("canary secrets", () => {
  it("a stdio child does not see the gateway's environment", async () => {
    upstream.enqueue(
      { toolCalls: [{ name: "faults__env", arguments: { name: "OPENAI_API_KEY" } }] },
      { text: "done" },
    );
    expect((await call("/v1/chat/completions", chat("a"))).status).toBe(200);
    const seen = trailingToolResults(upstream.requests.at(-1)!)[0]?.text;
    expect(seen).toBe("null");
  });

  it("the caller's key is never forwarded upstream; the backend's key is", async () => {
    upstream.enqueue({ text: "ok" });
    await call("/v1/chat/completions", chat("a"));
    const sent = upstream.requests.at(-1)!;
    expect(sent.headers.authorization).toBe(`Bearer ${CANARY.backendKey}`);
    expect(JSON.stringify(sent)).not.toContain(CANARY.proxyKey);
  });

  it("the trusted Apiman header is accepted with the secret and refused without", async () => {
    expect(
      (await call("/v1/models", { headers: { "x-apiman-auth": CANARY.apimanSecret } })).status,
    ).toBe(200);
    expect((await call("/v1/models", { headers: { "x-apiman-auth": "guess" } })).status).toBe(401);
  });

  it("an upstream auth error does not echo the backend key", async () => {
    const result = await call("/v1/chat/completions", chat("bad"));
    expect(result.status).toBe(401);
    expect(result.text).not.toContain(CANARY.backendKey);
  });

  it("admin reads are redacted", async () => {
    for (const path of [
      "/admin/config",
      "/admin/backends",
      "/admin/backends/up",
      "/admin/mcp/faults",
    ]) {
      const result = await call(path, { headers: admin });
      expect(result.status, path).toBe(200);
    }
  });

  it("a ?apikey= credential is accepted and kept out of the logs", async () => {
    expect((await call(`/v1/models?apikey=${CANARY.proxyKey}`)).status).toBe(200);
  });

  it("appear in no response body and no log line", async () => {
    await call("/v1/chat/completions", chat("a", { authorization: "Bearer wrong" }));
    await call("/admin/config", { headers: { authorization: "Bearer wrong" } });
    const everything = bodies.join("\n") + gateway.output();
    for (const [name, secret] of Object.entries(CANARY))
      expect(everything.includes(secret), `${name} leaked`).toBe(false);
  });
});
