import { startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFor } from "./helpers/in-process.js";

let upstream: Awaited<ReturnType<typeof startScriptedUpstream>>;
beforeAll(async () => {
  upstream = await startScriptedUpstream();
});
afterAll(async () => {
  await upstream.close();
});

const DEEP = 5000;
const deepJson = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;

describe("an admin PUT of an assistant nested 5,000 levels", () => {
  // The request-body bound is lifted, so the config's own bound on free-form values is what answers.
  it("is a 422 naming the setting, not applied, and the admin API keeps answering", async () => {
    const gateway = await gatewayFor({
      server: { max_json_depth: DEEP + 10 },
      backends: [{ name: "up", kind: "openai", base_url: upstream.openaiBaseUrl }],
      assistants: [{ name: "plain", backend: "up", model: "m" }],
    });
    try {
      for (const field of ["extra_body", "tool_arguments"]) {
        const value = field === "extra_body" ? deepJson(DEEP) : `{"t":${deepJson(DEEP)}}`;
        const response = await gateway.call("/admin/assistants/deep", {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: `{"backend":"up","model":"m","${field}":${value}}`,
        });
        expect(response.status).toBe(422);
        expect(await response.text()).toMatch(
          new RegExp(`${field}: nested more than 64 levels deep \\(at \\$\\.`),
        );
      }
      const assistants = await gateway.call("/admin/assistants");
      expect(assistants.status).toBe(200);
      expect(await assistants.text()).not.toContain('"deep"');
      expect((await gateway.call("/admin/config")).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});
