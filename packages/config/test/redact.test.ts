// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these tests are about.
import { describe, expect, it } from "vitest";
import { parseConfig, redact, restoreRedacted } from "../src/index.js";

const secretConfig = () =>
  parseConfig(
    {
      admin: { api_key: "admin-secret", persist_path: "./state.json" },
      proxy_api_keys: ["proxy-1", "proxy-2"],
      apiman: { mode: "trusted_header", header: "X-Apiman-User", secret: "shared-secret" },
      backends: [
        {
          name: "openai",
          kind: "openai",
          api_key: "sk-openai",
          default_headers: {
            Authorization: "Bearer x",
            "X-Api-Key": "k",
            "X-Auth-Token": "t",
            "X-Client-Secret": "s",
            "OpenAI-Organization": "org-visible",
          },
        },
        { name: "demo", kind: "demo" },
      ],
      mcp_servers: [
        {
          name: "gh",
          command: "server",
          args: ["--token", "ghp_abc", "--api-key=xyz", "--port", "80"],
          env: { GITHUB_TOKEN: "ghp_abc", LOG_LEVEL: "debug" },
        },
        {
          name: "remote",
          url: "https://user:pw@mcp.example/mcp?api_key=qk&region=eu",
          headers: { Authorization: "Bearer mcp", "X-Tenant": "acme" },
        },
      ],
      assistants: [
        {
          name: "a",
          backend: "openai",
          model: "m",
          tool_arguments: { gh__search: { token: "pinned", owner: "acme" } },
        },
      ],
    },
    { env: {} },
  );

describe("redact", () => {
  it("replaces every secret with core's REDACTED marker and keeps the rest", () => {
    const config = secretConfig();
    const safe = redact(config);
    expect(safe.admin).toEqual({ api_key: "[REDACTED]", persist_path: "./state.json" });
    expect(safe.proxy_api_keys).toEqual(["[REDACTED]", "[REDACTED]"]);
    expect(safe.apiman).toEqual({
      mode: "trusted_header",
      header: "X-Apiman-User",
      secret: "[REDACTED]",
    });
    expect(safe.backends.openai).toMatchObject({ api_key: "[REDACTED]" });
    expect(safe.backends.openai).toHaveProperty("default_headers", {
      Authorization: "[REDACTED]",
      "X-Api-Key": "[REDACTED]",
      "X-Auth-Token": "[REDACTED]",
      "X-Client-Secret": "[REDACTED]",
      "OpenAI-Organization": "org-visible",
    });
    expect(safe.mcp_servers.gh).toMatchObject({
      env: { GITHUB_TOKEN: "[REDACTED]", LOG_LEVEL: "[REDACTED]" },
      args: ["--token", "[REDACTED]", "--api-key=[REDACTED]", "--port", "80"],
    });
    expect(safe.mcp_servers.remote).toMatchObject({
      url: "https://user:[REDACTED]@mcp.example/mcp?api_key=[REDACTED]&region=eu",
      headers: { Authorization: "[REDACTED]", "X-Tenant": "acme" },
    });
    expect(safe.assistants.a?.tool_arguments).toEqual({
      gh__search: { token: "[REDACTED]", owner: "acme" },
    });
  });

  it("leaves no secret anywhere in the output", () => {
    const text = JSON.stringify(redact(secretConfig()));
    for (const secret of [
      "admin-secret",
      "proxy-1",
      "shared-secret",
      "sk-openai",
      "ghp_abc",
      "xyz",
      ":pw@",
      "qk",
      "pinned",
      "Bearer",
    ])
      expect(text).not.toContain(secret);
  });

  it("is a deep copy: the config is unchanged", () => {
    const config = secretConfig();
    const before = JSON.parse(JSON.stringify(config));
    const safe = redact(config);
    expect(config).toEqual(before);
    expect(safe.backends).not.toBe(config.backends);
    expect(safe.server).not.toBe(config.server);
  });

  it("keeps empty and absent secrets as they are", () => {
    const safe = redact({
      admin: { api_key: "" },
      proxy_api_keys: [],
      backends: { demo: { name: "demo", kind: "demo" } },
      mcp_servers: { s: { name: "s", env: { EMPTY: "" } } },
    });
    expect(safe).toEqual({
      admin: { api_key: "" },
      proxy_api_keys: [],
      backends: { demo: { name: "demo", kind: "demo" } },
      mcp_servers: { s: { name: "s", env: { EMPTY: "" } } },
    });
    expect(redact(parseConfig({}, { env: {} })).admin).toEqual({});
  });

  it("works on a raw config in list style too", () => {
    const safe = redact({
      backends: [{ name: "o", kind: "openai", api_key: "${OPENAI_API_KEY}" }],
      mcp_servers: [{ name: "s", command: "x", env: { T: "t" } }],
      proxy_api_keys: "single",
    });
    expect(safe).toEqual({
      backends: [{ name: "o", kind: "openai", api_key: "[REDACTED]" }],
      mcp_servers: [{ name: "s", command: "x", env: { T: "[REDACTED]" } }],
      proxy_api_keys: "[REDACTED]",
    });
  });

  it("works on a single entry, as an admin body", () => {
    expect(
      redact({
        name: "o",
        kind: "openai",
        api_key: "sk",
        default_headers: { "X-Api-Key": "k", A: "b" },
      }),
    ).toEqual({
      name: "o",
      kind: "openai",
      api_key: "[REDACTED]",
      default_headers: { "X-Api-Key": "[REDACTED]", A: "b" },
    });
    expect(redact({ name: "s", command: "x", env: { T: "t" } })).toEqual({
      name: "s",
      command: "x",
      env: { T: "[REDACTED]" },
    });
  });

  it("leaves a URL without credentials exactly as written", () => {
    const safe = redact({ backends: { o: { base_url: "http://127.0.0.1:11434/v1" } } });
    expect(safe.backends.o.base_url).toBe("http://127.0.0.1:11434/v1");
  });
});

describe("restoreRedacted", () => {
  it("puts the stored secret back where the placeholder was sent, and only at secret paths", () => {
    const stored = {
      transport: "streamable-http",
      url: "https://mcp.example/mcp",
      headers: { authorization: "Bearer real-token", "x-team": "blue" },
    };
    const sent = {
      ...stored,
      headers: { authorization: "[REDACTED]", "x-team": "[REDACTED]" },
      description: "[REDACTED]",
    };
    const { value, missing } = restoreRedacted("mcp_servers", "docs", sent, stored);
    expect(value).toEqual({
      ...stored,
      // Not a secret path: a placeholder there is taken as written.
      headers: { authorization: "Bearer real-token", "x-team": "[REDACTED]" },
      description: "[REDACTED]",
    });
    expect(missing).toEqual([]);
  });

  it("names the secret paths that have nothing stored to keep", () => {
    const { missing } = restoreRedacted(
      "mcp_servers",
      "local",
      { transport: "stdio", command: "x", env: { TOKEN: "[REDACTED]", OTHER: "v" } },
      { transport: "stdio", command: "x", env: {} },
    );
    expect(missing).toEqual(["env.TOKEN"]);
    expect(
      restoreRedacted("backends", "new", { api_key: "[REDACTED]" }, undefined).missing,
    ).toEqual(["api_key"]);
  });
});
