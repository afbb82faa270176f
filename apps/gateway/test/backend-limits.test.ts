import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFor, json, openAIError } from "./helpers/in-process.js";

let upstream: ScriptedUpstream;
beforeAll(async () => {
  upstream = await startScriptedUpstream();
});
afterAll(async () => {
  await upstream.close();
});

/** One backend per size setting, all on the same scripted upstream. */
async function open() {
  const backend = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    kind: "openai",
    base_url: upstream.openaiBaseUrl,
    api_key: "sk-limits-1234",
    ...extra,
  });
  return gatewayFor({
    backends: [
      backend("defaults"),
      backend("small-body", { max_response_bytes: "1kb" }),
      backend("small-event", { max_event_bytes: "1kb" }),
    ],
    assistants: ["defaults", "small-body", "small-event"].map((name) => ({
      name,
      backend: name,
      model: "m",
    })),
  });
}

const ask = (model: string, stream = false) =>
  json({ model, stream, messages: [{ role: "user", content: "x" }] });

const LONG = "y".repeat(4000);

describe("backend max_response_bytes and max_event_bytes", () => {
  it("reach the adapter: a body or an event over the backend's limit fails, the default passes", async () => {
    const gateway = await open();
    try {
      upstream.enqueue({ text: LONG });
      const ok = await gateway.call("/v1/chat/completions", ask("defaults"));
      expect(ok.status).toBe(200);

      upstream.enqueue({ text: LONG });
      const tooBig = await gateway.call("/v1/chat/completions", ask("small-body"));
      expect(tooBig.status).toBe(502);
      expect((await openAIError(tooBig)).message).toContain("max_response_bytes (1024 bytes)");

      // One delta carrying the whole text: a single SSE event of ~4 KB.
      upstream.enqueue({ text: LONG, textChunkSize: LONG.length });
      const streamed = await gateway.call("/v1/chat/completions", ask("small-event", true));
      const text = await streamed.text();
      expect(text).toContain("max_event_bytes (1024 bytes)");
      expect(text).not.toContain(LONG);
    } finally {
      await gateway.close();
    }
  });
});
