import type { Logger } from "@aiproxy/core";
import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFor, put } from "./helpers/in-process.js";

/**
 * Fields the gateway does not read (an older config, a typo) are accepted
 * but named: a warning per field by YAML path at start, and the same list in
 * the admin response.
 */

let upstream: ScriptedUpstream;
beforeAll(async () => {
  upstream = await startScriptedUpstream();
});
afterAll(() => upstream.close());

function capture(): {
  logger: Logger;
  warnings: { data: Record<string, unknown>; msg?: string }[];
} {
  const warnings: { data: Record<string, unknown>; msg?: string }[] = [];
  const noop = () => {};
  return {
    warnings,
    logger: {
      debug: noop,
      info: noop,
      error: noop,
      warn: (data, msg) => warnings.push({ data, msg }),
    },
  };
}

const config = {
  backends: {
    small: { type: "openai", base_url: "http://127.0.0.1:1/v1", timeout: 30 },
  },
  assistants: [
    {
      name: "helper",
      backend: "small",
      model: "m",
      tool_backend: "small",
      tool_confidance: 0.9,
    },
  ],
  cache: { size: 10 },
};

describe("unknown config fields", () => {
  it("are each logged at start by their YAML path, and the config still loads", async () => {
    const { logger, warnings } = capture();
    const gateway = await gatewayFor(
      {
        ...config,
        backends: { small: { ...config.backends.small, base_url: upstream.openaiBaseUrl } },
      },
      { logger },
    );
    try {
      const paths = warnings.map((w) => w.data.path).filter(Boolean);
      expect(paths).toEqual(["assistants[0].tool_confidance", "cache"]);
      expect(warnings.find((w) => w.data.path === "cache")?.msg).toBe(
        "config: cache: unknown field, ignored",
      );
      expect((await gateway.call("/v1/models")).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it("an admin PUT keeps the known fields, answers with the warnings, and a two-model field survives", async () => {
    const gateway = await gatewayFor({
      backends: { small: { type: "openai", base_url: upstream.openaiBaseUrl } },
      assistants: [],
    });
    try {
      const response = await gateway.call(
        "/admin/assistants/added",
        put({
          backend: "small",
          model: "m",
          tool_backend: "small",
          tool_confidence: 0.8,
          colour: "red",
        }),
      );
      expect(response.status).toBe(201);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ tool_backend: "small", tool_confidence: 0.8 });
      expect(body.colour).toBeUndefined();
      expect(body.warnings).toEqual([
        { path: "assistants.added.colour", message: "unknown field, ignored" },
      ]);
      // Without unknown fields there is no warnings key at all.
      const clean = await gateway.call(
        "/admin/assistants/added",
        put({ backend: "small", model: "m" }),
      );
      expect(((await clean.json()) as Record<string, unknown>).warnings).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });

  it("a backend used as a tool_backend cannot be deleted from under its assistant", async () => {
    const gateway = await gatewayFor({
      backends: {
        answer: { type: "openai", base_url: upstream.openaiBaseUrl },
        decide: { type: "openai", base_url: upstream.openaiBaseUrl },
      },
      assistants: [{ name: "a", backend: "answer", model: "m", tool_backend: "decide" }],
    });
    try {
      const response = await gateway.call("/admin/backends/decide", { method: "DELETE" });
      expect(response.status).toBe(409);
    } finally {
      await gateway.close();
    }
  });
});
