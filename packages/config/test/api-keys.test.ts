// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these tests are about.
import { describe, expect, it } from "vitest";
import { parseConfig, redact, validateReferences } from "../src/index.js";
import { linesOf } from "./helpers.js";

const base = {
  backends: [{ name: "demo", kind: "demo" }],
  mcp_servers: [
    { name: "docs", command: "docs-server" },
    { name: "files", command: "files-server" },
  ],
  assistants: [
    { name: "support", backend: "demo", model: "m" },
    { name: "internal", backend: "demo", model: "m" },
  ],
};

describe("proxy_api_keys: grants", () => {
  it("keeps every key in proxy_api_keys and the limited ones in api_key_grants", () => {
    const config = parseConfig(
      {
        ...base,
        proxy_api_keys: [
          "full",
          { key: " team-a ", assistants: ["support"], mcp_servers: "docs" },
          { key: "mcp-only", assistants: [] },
          { key: "plain" },
        ],
      },
      { env: {} },
    );
    expect(config.proxy_api_keys).toEqual(["full", "team-a", "mcp-only", "plain"]);
    expect(config.api_key_grants).toEqual([
      { key: "team-a", assistants: ["support"], mcp_servers: ["docs"] },
      { key: "mcp-only", assistants: [] },
    ]);
  });

  it("drops a map whose key expands empty, as it drops a blank key", () => {
    const yaml = [
      "backends: [{ name: demo, kind: demo }]",
      "assistants: [{ name: support, backend: demo, model: m }]",
      "proxy_api_keys:",
      "  - ${FULL:-}",
      "  - key: ${TEAM_A_KEY}",
      "    assistants: [support]",
      "  - key:",
      "    mcp_servers: [docs]",
      "",
    ].join("\n");
    const config = parseConfig(yaml, { env: {} });
    expect(config.proxy_api_keys).toEqual([]);
    expect(config.api_key_grants).toEqual([]);
    const set = parseConfig(yaml, { env: { TEAM_A_KEY: "a" } });
    expect(set.proxy_api_keys).toEqual(["a"]);
    expect(set.api_key_grants).toEqual([{ key: "a", assistants: ["support"] }]);
  });

  it("round-trips: the normalized output parses to itself", () => {
    const once = parseConfig(
      { ...base, proxy_api_keys: ["full", { key: "a", mcp_servers: ["docs"] }] },
      { env: {} },
    );
    const twice = parseConfig(once, { env: {}, expandEnv: false });
    expect(twice.proxy_api_keys).toEqual(["full", "a"]);
    expect(twice.api_key_grants).toEqual([{ key: "a", mcp_servers: ["docs"] }]);
  });

  it("reports unknown assistants and MCP servers by their path", () => {
    expect(
      linesOf({
        ...base,
        proxy_api_keys: [
          "ok",
          { key: "a", assistants: ["support", "nope"], mcp_servers: ["gone"] },
        ],
      }),
    ).toEqual([
      'proxy_api_keys[1].assistants[1]: unknown assistant "nope"',
      'proxy_api_keys[1].mcp_servers[0]: unknown MCP server "gone"',
    ]);
    expect(linesOf({ ...base, api_key_grants: [{ key: "a", assistants: ["x"] }] })).toEqual([
      'api_key_grants[0].assistants[0]: unknown assistant "x"',
    ]);
  });

  it("validateReferences re-checks grants after an admin change", () => {
    const config = parseConfig(
      { ...base, proxy_api_keys: [{ key: "a", assistants: ["support"] }] },
      { env: {} },
    );
    const { support: _removed, ...assistants } = config.assistants;
    expect(validateReferences({ ...config, assistants })).toEqual([
      { path: "api_key_grants[0].assistants[0]", message: 'unknown assistant "support"' },
    ]);
  });

  it("never echoes a grant's key in a message", () => {
    expect(
      linesOf({ ...base, proxy_api_keys: [{ key: 12345678, assistants: ["support"] }] }),
    ).toEqual(["proxy_api_keys[0].key: expected text, got a number"]);
  });

  it("redacts a grant's key and keeps its names, raw and normalized", () => {
    const raw = {
      ...base,
      proxy_api_keys: ["full-secret", { key: "team-secret", assistants: ["support"] }],
    };
    const safeRaw = redact(raw);
    expect(safeRaw.proxy_api_keys).toEqual([
      "[REDACTED]",
      { key: "[REDACTED]", assistants: ["support"] },
    ]);
    expect(redact({ proxy_api_keys: "a-secret,b-secret" }).proxy_api_keys).toBe("[REDACTED]");
    const safe = redact(parseConfig(raw, { env: {} }));
    expect(safe.api_key_grants).toEqual([{ key: "[REDACTED]", assistants: ["support"] }]);
    const text = JSON.stringify(safe) + JSON.stringify(safeRaw);
    expect(text).not.toContain("team-secret");
    expect(text).not.toContain("full-secret");
  });
});
