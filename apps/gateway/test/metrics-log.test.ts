import type { Logger } from "@aiproxy/core";
import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFor, json } from "./helpers/in-process.js";

/** The run's log line: who called (never the key), the surface, time to first token, tokens. */

const KEY = "proxy-key-log-line-1234";
const lines: Record<string, unknown>[] = [];
const capture = (data: Record<string, unknown>, msg?: string) => lines.push({ ...data, msg });
const logger: Logger = { debug: () => {}, info: capture, warn: capture, error: capture };

let upstream: ScriptedUpstream;
beforeAll(async () => {
  upstream = await startScriptedUpstream({
    fallback: () => ({ text: "Hello there.", usage: { promptTokens: 12, completionTokens: 3 } }),
  });
});
afterAll(async () => {
  await upstream.close();
});

describe("the request log line", () => {
  it("names the caller, the surface, time to first token and tokens", async () => {
    const gateway = await gatewayFor(
      {
        proxy_api_keys: [KEY, "proxy-key-log-line-other"],
        backends: [
          { name: "up", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-l-1" },
        ],
        assistants: [{ name: "helper", backend: "up", model: "gpt-up" }],
      },
      { logger, env: {} },
    );
    try {
      for (const key of [KEY, KEY, "proxy-key-log-line-other"]) {
        const response = await gateway.call(
          "/v1/chat/completions",
          json(
            { model: "helper", stream: true, messages: [{ role: "user", content: "hi" }] },
            { authorization: `Bearer ${key}` },
          ),
        );
        await response.text();
      }
      await upstream.waitForIdle();
    } finally {
      await gateway.close();
    }
    const runs = lines.filter((l) => l.assistant === "helper" && l.usage !== undefined);
    expect(runs).toHaveLength(3);
    for (const line of runs) {
      expect(line).toMatchObject({
        caller: "static_keys",
        surface: "chat",
        usage: { promptTokens: 12, completionTokens: 3 },
        firstTokenMs: expect.any(Number),
      });
      expect(line.callerId).toMatch(/^[\w-]{16}$/);
    }
    // One key, one id; another key, another id.
    expect(runs[0]?.callerId).toBe(runs[1]?.callerId);
    expect(runs[2]?.callerId).not.toBe(runs[0]?.callerId);
    expect(JSON.stringify(lines)).not.toContain("proxy-key-log-line");
  });
});
