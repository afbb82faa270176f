import { describe, expect, it } from "vitest";
import { configWarnings, parseConfig, unknownEntryFields } from "../src/index.js";

/** A config written for the original project: maps keyed by name, assistants as a list, its two-model fields. */
const original = `
backends:
  local:
    type: openai
    base_url: http://127.0.0.1:11434/v1
    timeout: 120
  cloud:
    type: anthropic
    api_key: sk-ant-test
    timeout: 60
mcp_servers:
  files:
    command: mcp-server-filesystem
    args: [/srv/docs]
    description: The shared documents
  web:
    url: http://127.0.0.1:9000/mcp
    description: Search and fetch
assistants:
  - name: helper
    backend: local
    model: llama3.2:3b
    tool_backend: cloud
    tool_model: claude-haiku-4-5
    tool_confidence: 0.7
    tool_context: full
    tool_max_rounds: 3
    tool_fallback:
      tool: web__search
      arguments: {query: "{user}"}
    expose_tool_results: true
    mcp_servers: [files, web]
    tool_result_max_chars: 4000
    tool_result_clip: balanced
`;

describe("configs from the original project", () => {
  it("load unchanged, with every two-model field and no warnings", () => {
    const config = parseConfig(original, { env: {} });
    expect(config.backends.local).toMatchObject({ kind: "openai", timeout: 120 });
    expect(config.mcp_servers.files).toMatchObject({
      transport: "stdio",
      description: "The shared documents",
    });
    expect(config.assistants.helper).toMatchObject({
      tool_backend: "cloud",
      tool_model: "claude-haiku-4-5",
      tool_confidence: 0.7,
      tool_context: "full",
      tool_max_rounds: 3,
      tool_fallback: { tool: "web__search", arguments: { query: "{user}" } },
      expose_tool_results: true,
      tool_result_clip: "balanced",
    });
    expect(configWarnings(config)).toEqual([]);
  });

  it("unknown fields still load, and each is a warning at its YAML path", () => {
    const text =
      `${original}    tool_confidance: 0.9\nlogging: {level: debug}\nserver: {port: 8000, workers: 4}\n`.replace(
        "    timeout: 60\n",
        "    timeout: 60\n    region: eu\n",
      );
    const config = parseConfig(text, { env: {} });
    expect(config.assistants.helper?.tool_confidence).toBe(0.7);
    expect(configWarnings(config)).toEqual([
      { path: "backends.cloud.region", message: "unknown field, ignored" },
      { path: "assistants[0].tool_confidance", message: "unknown field, ignored" },
      { path: "logging", message: "unknown field, ignored" },
      { path: "server.workers", message: "unknown field, ignored" },
    ]);
  });

  it("an admin entry's unknown fields are located as in the config", () => {
    expect(
      unknownEntryFields("assistants", "helper", { backend: "b", model: "m", tool_bakend: "x" }),
    ).toEqual([{ path: "assistants.helper.tool_bakend", message: "unknown field, ignored" }]);
  });
});
