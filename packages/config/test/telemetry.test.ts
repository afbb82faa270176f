// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these tests are about.
import { describe, expect, it } from "vitest";
import { parseConfig, redact } from "../src/index.js";
import { linesOf, minimal } from "./helpers.js";

describe("telemetry:", () => {
  it("defaults to metrics on, no key and no traces", () => {
    expect(parseConfig(minimal, { env: {} }).telemetry).toEqual({
      metrics: { enabled: true },
      traces: {},
    });
  });

  it("reads the metrics key and the trace settings, from the environment too", () => {
    const config = parseConfig(
      {
        ...minimal,
        telemetry: {
          metrics: { enabled: "false", api_key: "${METRICS_KEY}" },
          traces: {
            otlp_endpoint: "http://127.0.0.1:4318/",
            service_name: "edge",
            capture_message_content: "yes",
          },
        },
      },
      { env: { METRICS_KEY: "scrape-secret" } },
    );
    expect(config.telemetry).toEqual({
      metrics: { enabled: false, api_key: "scrape-secret" },
      traces: {
        otlp_endpoint: "http://127.0.0.1:4318",
        service_name: "edge",
        capture_message_content: true,
      },
    });
    expect(JSON.stringify(redact(config))).not.toContain("scrape-secret");
  });

  it("reports a bad endpoint at its path", () => {
    expect(linesOf({ ...minimal, telemetry: { traces: { otlp_endpoint: "ftp://x" } } })).toEqual([
      expect.stringMatching(/^telemetry\.traces\.otlp_endpoint: invalid URL/),
    ]);
  });
});
