// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these tests are about.
import { describe, expect, it } from "vitest";
import {
  apimanSchema,
  assistantSchema,
  backendSchema,
  mcpServerSchema,
  parseConfig,
  parseSize,
} from "../src/index.js";
import { minimal } from "./helpers.js";

const env = {};

describe("parseConfig: defaults", () => {
  it.each([
    ["empty text", ""],
    ["null", null],
    ["empty map", {}],
  ])("an %s is a valid config with every default", (_label, source) => {
    expect(parseConfig(source, { env })).toEqual({
      server: {
        host: "127.0.0.1",
        port: 8000,
        cors_origins: [],
        body_limit_bytes: 10 * 1024 * 1024,
        request_timeout: 600,
        shutdown_grace: 30,
        max_json_depth: 64,
      },
      admin: {},
      proxy_api_keys: [],
      api_key_grants: [],
      responses: { ttl: 3600, max_stored: 10_000 },
      telemetry: { metrics: { enabled: true }, traces: {} },
      state: { store: "file", key_prefix: "aiproxy:", resync_interval: 5 },
      mcp_endpoint: { session_idle_timeout: 1800, max_sessions: 1000, max_message_size: 4194304 },
      backends: {},
      mcp_servers: {},
      assistants: {},
    });
  });

  it("fills in defaults for every entry kind", () => {
    const config = parseConfig(
      {
        backends: [{ name: "o", kind: "openai" }],
        mcp_servers: [{ name: "s", command: "x" }],
        assistants: [{ name: "a", backend: "o", model: "m" }],
      },
      { env },
    );
    expect(config.backends.o).toEqual({
      name: "o",
      kind: "openai",
      base_url: "https://api.openai.com/v1",
      default_headers: {},
      timeout: 600,
      connect_timeout: 30,
      max_retries: 2,
      max_response_bytes: 32 * 1024 ** 2,
      max_event_bytes: 4 * 1024 ** 2,
    });
    expect(config.mcp_servers.s).toEqual({
      name: "s",
      transport: "stdio",
      command: "x",
      args: [],
      env: {},
      timeout: 60,
      enabled: true,
    });
    expect(config.assistants.a).toEqual({
      name: "a",
      backend: "o",
      model: "m",
      mcp_servers: [],
      max_tool_iterations: 10,
      params: {},
      extra_body: {},
      tool_descriptions: {},
      tool_arguments: {},
      tool_activity: false,
    });
    expect(config.assistants.a).not.toHaveProperty("tool_allowlist");
  });
});

describe("parseConfig: list and map styles", () => {
  const listStyle = `
backends:
  - name: openai
    kind: openai
    api_key: sk-1
  - name: demo
    kind: demo
mcp_servers:
  - name: fs
    command: npx
assistants:
  - name: helper
    backend: openai
    model: gpt-4o-mini
    mcp_servers: [fs]
  - name: demo
    backend: demo
    model: d
`;
  const mapStyle = `
backends:
  openai:
    kind: openai
    api_key: sk-1
  demo:
    kind: demo
mcp_servers:
  fs:
    command: npx
assistants:
  helper:
    backend: openai
    model: gpt-4o-mini
    mcp_servers: [fs]
  demo: { name: demo, backend: demo, model: d }
`;

  it("normalize to the same maps keyed by name, each entry carrying its name", () => {
    const fromList = parseConfig(listStyle, { env });
    const fromMap = parseConfig(mapStyle, { env });
    expect(fromMap).toEqual(fromList);
    expect(fromList.backends.openai?.name).toBe("openai");
    expect(fromList.assistants.helper?.name).toBe("helper");
  });

  it("keep the order entries were written in", () => {
    const config = parseConfig(
      { backends: { zeta: { kind: "demo" }, alpha: { kind: "demo" }, mid: { kind: "demo" } } },
      { env },
    );
    expect(Object.keys(config.backends)).toEqual(["zeta", "alpha", "mid"]);
    const list = parseConfig(
      {
        backends: [
          { name: "b", kind: "demo" },
          { name: "a", kind: "demo" },
        ],
      },
      { env },
    );
    expect(Object.keys(list.backends)).toEqual(["b", "a"]);
  });

  it("accept a map entry with no settings (`demo:`) as an empty map", () => {
    const issues = (() => {
      try {
        parseConfig("mcp_servers:\n  bare:\n", { env });
      } catch (error) {
        return (error as { issues: unknown[] }).issues;
      }
    })();
    expect(issues).toEqual([
      expect.objectContaining({
        path: "mcp_servers.bare.transport",
        message: expect.stringMatching(/^required/),
      }),
    ]);
  });
});

describe("parseConfig: env expansion and coercion", () => {
  const yaml = `
server:
  host: \${HOST:-0.0.0.0}
  port: \${PORT}
  request_timeout: "\${TIMEOUT:-120}"
  shutdown_grace: "2.5"
backends:
  - name: b
    kind: \${KIND:-openai}
    api_key: \${KEY}
    max_retries: "\${RETRIES:-0}"
assistants:
  - name: a
    backend: b
    model: \${MODEL}
    temperature: \${TEMP:-0.5}
    tool_activity: \${ACTIVITY:-true}
    parallel_tool_calls: "false"
mcp_servers:
  - name: s
    url: http://127.0.0.1:\${MCP_PORT}/mcp
    enabled: \${S_ENABLED}
`;

  it("expands variables and coerces numeric and boolean strings", () => {
    const config = parseConfig(yaml, {
      env: { PORT: "9000", KEY: "sk-x", MODEL: "4", MCP_PORT: "3001", S_ENABLED: "false" },
    });
    expect(config.server).toMatchObject({
      host: "0.0.0.0",
      port: 9000,
      request_timeout: 120,
      shutdown_grace: 2.5,
    });
    expect(config.backends.b).toMatchObject({ kind: "openai", api_key: "sk-x", max_retries: 0 });
    // A string field keeps a numeric-looking value as a string.
    expect(config.assistants.a?.model).toBe("4");
    expect(config.assistants.a?.params).toEqual({ temperature: 0.5, parallel_tool_calls: false });
    expect(config.assistants.a?.tool_activity).toBe(true);
    expect(config.mcp_servers.s).toMatchObject({
      url: "http://127.0.0.1:3001/mcp",
      enabled: false,
    });
  });

  it.each([
    ["yes", true],
    ["on", true],
    ["1", true],
    ["TRUE", true],
    ["no", false],
    ["off", false],
    ["0", false],
    ["False", false],
  ])("reads %j as the boolean %s", (text, value) => {
    const config = parseConfig({ admin: { allow_stdio: text } }, { env });
    expect(config.admin.allow_stdio).toBe(value);
  });

  it("can skip expansion for a config that was already expanded", () => {
    const config = parseConfig(
      { backends: [{ name: "b", kind: "openai", api_key: "pa$${literal}" }] },
      { env, expandEnv: false },
    );
    expect(config.backends.b).toMatchObject({ api_key: "pa$${literal}" });
  });

  it("ignores an unset variable in a key it drops anyway", () => {
    const config = parseConfig(
      {
        log_level: "${LOG_LEVEL}",
        server: { workers: "${WORKERS}" },
        backends: [{ name: "b", kind: "demo", verify_ssl: "${VERIFY}" }],
      },
      { env },
    );
    expect(config).not.toHaveProperty("log_level");
    expect(config.server).not.toHaveProperty("workers");
    expect(config.backends.b).not.toHaveProperty("verify_ssl");
  });
});

describe("parseConfig: server, admin, proxy keys", () => {
  it.each([
    [1024, 1024],
    ["2048", 2048],
    ["10mb", 10 * 1024 * 1024],
    ["10 MB", 10 * 1024 * 1024],
    ["512kb", 512 * 1024],
    ["512k", 512 * 1024],
    ["1.5mb", 1.5 * 1024 * 1024],
    ["1gb", 1024 ** 3],
    ["300b", 300],
  ])("body_limit %j is %i bytes", (body_limit, bytes) => {
    expect(parseConfig({ server: { body_limit } }, { env }).server.body_limit_bytes).toBe(bytes);
  });

  it("parseSize rejects what is not a size", () => {
    expect(parseSize("10 parsecs")).toBeUndefined();
    expect(parseSize("mb")).toBeUndefined();
    expect(parseSize("-1kb")).toBeUndefined();
  });

  it("accepts body_limit_bytes, the output's own name", () => {
    expect(parseConfig({ server: { body_limit_bytes: 77 } }, { env }).server.body_limit_bytes).toBe(
      77,
    );
  });

  it("reads cors_origins as a list or a comma-separated string", () => {
    const fromText = parseConfig(
      { server: { cors_origins: "https://a.example, https://b.example," } },
      { env },
    );
    expect(fromText.server.cors_origins).toEqual(["https://a.example", "https://b.example"]);
    const fromList = parseConfig({ server: { cors_origins: ["*"] } }, { env });
    expect(fromList.server.cors_origins).toEqual(["*"]);
  });

  it("drops an empty admin key and keeps allow_stdio absent unless set", () => {
    const config = parseConfig("admin:\n  api_key: ${ADMIN_API_KEY:-}\n", { env });
    expect(config.admin).toEqual({});
    expect(parseConfig({ admin: { api_key: "k", allow_stdio: true } }, { env }).admin).toEqual({
      api_key: "k",
      allow_stdio: true,
    });
  });

  it("drops empty proxy keys, unset ones included, and accepts one string", () => {
    const yaml = 'proxy_api_keys: ["${PROXY_KEY_1:-}", "${PROXY_KEY_2}", "k2", "", " k3 "]\n';
    expect(parseConfig(yaml, { env }).proxy_api_keys).toEqual(["k2", "k3"]);
    expect(parseConfig(yaml, { env: { PROXY_KEY_1: "k1" } }).proxy_api_keys).toEqual([
      "k1",
      "k2",
      "k3",
    ]);
    expect(parseConfig({ proxy_api_keys: "solo" }, { env }).proxy_api_keys).toEqual(["solo"]);
    expect(
      parseConfig({ proxy_api_keys: "${KEYS}" }, { env: { KEYS: "a,b" } }).proxy_api_keys,
    ).toEqual(["a", "b"]);
    expect(parseConfig({ proxy_api_keys: "${KEYS}" }, { env }).proxy_api_keys).toEqual([]);
  });
});

describe("parseConfig: apiman", () => {
  it("fills in gateway_probe defaults", () => {
    const config = parseConfig(
      { apiman: { mode: "gateway_probe", gateway_url: "http://gw:8080/" } },
      { env },
    );
    expect(config.apiman).toEqual({
      mode: "gateway_probe",
      gateway_url: "http://gw:8080",
      api_key_header: "X-API-Key",
      cache_ttl: 60,
      cache_max_entries: 10_000,
      timeout: 5,
    });
  });

  it("reads trusted_header, in any spelling of the mode", () => {
    const config = parseConfig(
      { apiman: { mode: "Trusted-Header", header: "X-Apiman-User", secret: "s3cret" } },
      { env },
    );
    expect(config.apiman).toEqual({
      mode: "trusted_header",
      header: "X-Apiman-User",
      secret: "s3cret",
    });
  });

  it("is absent when not configured or switched off", () => {
    expect(parseConfig({}, { env }).apiman).toBeUndefined();
    expect(parseConfig("apiman:\n", { env })).not.toHaveProperty("apiman");
    expect(
      parseConfig({ apiman: { enabled: false, mode: "bogus" } }, { env }).apiman,
    ).toBeUndefined();
  });
});

describe("parseConfig: backends", () => {
  it("accepts `type` and `provider` as aliases of kind", () => {
    const config = parseConfig(
      {
        backends: [
          { name: "a", type: "anthropic" },
          { name: "b", provider: "OpenAI" },
        ],
      },
      { env },
    );
    expect(config.backends.a?.kind).toBe("anthropic");
    expect(config.backends.b?.kind).toBe("openai");
    expect(config.backends.a).not.toHaveProperty("type");
  });

  it("defaults base_url per kind, none for demo, and strips trailing slashes", () => {
    const config = parseConfig(
      {
        backends: [
          { name: "o", kind: "openai" },
          {
            name: "a",
            kind: "anthropic",
            anthropic_version: "2023-06-01",
            default_max_tokens: 1024,
          },
          { name: "d", kind: "demo" },
          { name: "ollama", kind: "openai", base_url: "http://127.0.0.1:11434/v1/" },
          { name: "blank", kind: "openai", base_url: "${OPENAI_BASE_URL:-}" },
        ],
      },
      { env },
    );
    expect(config.backends.o).toMatchObject({ base_url: "https://api.openai.com/v1" });
    expect(config.backends.a).toMatchObject({
      base_url: "https://api.anthropic.com/v1",
      anthropic_version: "2023-06-01",
      default_max_tokens: 1024,
    });
    expect(config.backends.d).not.toHaveProperty("base_url");
    expect(config.backends.ollama).toMatchObject({ base_url: "http://127.0.0.1:11434/v1" });
    expect(config.backends.blank).toMatchObject({ base_url: "https://api.openai.com/v1" });
  });

  it("writes header values as text and drops blank ones", () => {
    const config = parseConfig(
      {
        backends: [
          {
            name: "o",
            kind: "openai",
            default_headers: { "X-Version": 2, "X-Flag": true, "OpenAI-Organization": "${ORG:-}" },
          },
        ],
      },
      { env },
    );
    expect(config.backends.o).toHaveProperty("default_headers", {
      "X-Version": "2",
      "X-Flag": "true",
    });
  });

  it("drops an empty api_key", () => {
    const config = parseConfig(
      { backends: [{ name: "o", kind: "openai", api_key: "${K:-}" }] },
      { env },
    );
    expect(config.backends.o).not.toHaveProperty("api_key");
  });
});

describe("parseConfig: MCP servers", () => {
  it("infers stdio from command and streamable-http from url", () => {
    const config = parseConfig(
      {
        mcp_servers: [
          { name: "a", command: "npx" },
          { name: "b", url: "http://h/mcp" },
        ],
      },
      { env },
    );
    expect(config.mcp_servers.a?.transport).toBe("stdio");
    expect(config.mcp_servers.b?.transport).toBe("streamable-http");
  });

  it.each(["http", "streamable-http", "streamable_http", "streamableHttp", "HTTP"])(
    "normalizes transport %j to streamable-http",
    (transport) => {
      const config = parseConfig(
        { mcp_servers: [{ name: "s", transport, url: "http://h/mcp" }] },
        { env },
      );
      expect(config.mcp_servers.s?.transport).toBe("streamable-http");
    },
  );

  it("accepts `type` as an alias of transport", () => {
    const config = parseConfig(
      { mcp_servers: [{ name: "s", type: "sse", url: "http://h/sse" }] },
      { env },
    );
    expect(config.mcp_servers.s).toEqual({
      name: "s",
      transport: "sse",
      url: "http://h/sse",
      headers: {},
      timeout: 60,
      enabled: true,
    });
  });

  it("writes numeric args and env values as text, and keeps cwd", () => {
    const config = parseConfig(
      {
        mcp_servers: [
          {
            name: "s",
            command: "srv",
            args: ["--port", 8080, "--verbose", true],
            env: { N: 1 },
            cwd: "/srv",
          },
        ],
      },
      { env },
    );
    expect(config.mcp_servers.s).toMatchObject({
      args: ["--port", "8080", "--verbose", "true"],
      env: { N: "1" },
      cwd: "/srv",
    });
  });

  it("drops settings of the other transports", () => {
    const config = parseConfig(
      {
        mcp_servers: [
          { name: "s", transport: "stdio", command: "x", url: "http://h", headers: { a: "b" } },
        ],
      },
      { env },
    );
    expect(config.mcp_servers.s).not.toHaveProperty("url");
    expect(config.mcp_servers.s).not.toHaveProperty("headers");
  });
});

describe("parseConfig: assistants", () => {
  it("gathers sampling defaults into params", () => {
    const config = parseConfig(
      {
        ...minimal,
        assistants: [
          {
            name: "a",
            backend: "demo",
            model: "m",
            temperature: 0.2,
            top_p: 0.9,
            max_tokens: 100,
            max_completion_tokens: 200,
            stop: ["END"],
            seed: 7,
            presence_penalty: -0.5,
            frequency_penalty: 0.5,
            reasoning_effort: "high",
            response_format: "json_object",
            parallel_tool_calls: false,
            tool_choice: { type: "function", function: { name: "x__y" } },
          },
        ],
      },
      { env },
    );
    const assistant = config.assistants.a!;
    expect(assistant.params).toEqual({
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 100,
      max_completion_tokens: 200,
      stop: ["END"],
      seed: 7,
      presence_penalty: -0.5,
      frequency_penalty: 0.5,
      reasoning_effort: "high",
      response_format: { type: "json_object" },
      parallel_tool_calls: false,
      tool_choice: { type: "function", function: { name: "x__y" } },
    });
    expect(assistant).not.toHaveProperty("temperature");
    expect(assistant).not.toHaveProperty("tool_choice");
  });

  it("merges a params map with the flat keys, the flat keys winning", () => {
    const config = parseConfig(
      {
        ...minimal,
        assistants: [
          {
            name: "a",
            backend: "demo",
            model: "m",
            params: { temperature: 1, seed: 3 },
            temperature: 0,
          },
        ],
      },
      { env },
    );
    expect(config.assistants.a?.params).toEqual({ temperature: 0, seed: 3 });
  });

  it("reads the tool settings", () => {
    const config = parseConfig(
      {
        backends: [{ name: "demo", kind: "demo" }],
        mcp_servers: [{ name: "everything", command: "x" }],
        assistants: [
          {
            name: "a",
            description: "d",
            system_prompt: "be brief",
            backend: "demo",
            model: "m",
            mcp_servers: "everything",
            max_tool_iterations: 0,
            extra_body: { thinking: { type: "enabled" } },
            tool_allowlist: ["everything__echo"],
            tool_descriptions: { everything__echo: "override" },
            tool_arguments: { everything__echo: { fixed: 1 } },
            tool_result_max_chars: 20_000,
            tool_activity: true,
          },
        ],
      },
      { env },
    );
    expect(config.assistants.a).toEqual({
      name: "a",
      description: "d",
      system_prompt: "be brief",
      backend: "demo",
      model: "m",
      mcp_servers: ["everything"],
      max_tool_iterations: 0,
      params: {},
      extra_body: { thinking: { type: "enabled" } },
      tool_allowlist: ["everything__echo"],
      tool_descriptions: { everything__echo: "override" },
      tool_arguments: { everything__echo: { fixed: 1 } },
      tool_result_max_chars: 20_000,
      tool_activity: true,
    });
  });

  it("lists each MCP server once", () => {
    const config = parseConfig(
      {
        backends: [{ name: "demo", kind: "demo" }],
        mcp_servers: [{ name: "s", command: "x" }],
        assistants: [{ name: "a", backend: "demo", model: "m", mcp_servers: ["s", "s"] }],
      },
      { env },
    );
    expect(config.assistants.a?.mcp_servers).toEqual(["s"]);
  });
});

describe("parseConfig: leniency and round trip", () => {
  it("drops unknown keys at every level", () => {
    const config = parseConfig(
      {
        version: 1,
        logging: { level: "debug" },
        server: { workers: 4 },
        admin: { ui: true },
        apiman: { mode: "trusted_header", header: "h", secret: "s", realm: "x" },
        backends: [{ name: "b", kind: "demo", verify_ssl: false }],
        mcp_servers: [{ name: "s", command: "x", restart: "always" }],
        assistants: [{ name: "a", backend: "b", model: "m", stream: true, memory: { on: true } }],
      },
      { env },
    );
    expect(config).not.toHaveProperty("version");
    expect(config).not.toHaveProperty("logging");
    expect(config.server).not.toHaveProperty("workers");
    expect(config.admin).not.toHaveProperty("ui");
    expect(config.apiman).not.toHaveProperty("realm");
    expect(config.backends.b).not.toHaveProperty("verify_ssl");
    expect(config.mcp_servers.s).not.toHaveProperty("restart");
    expect(config.assistants.a).not.toHaveProperty("stream");
    expect(config.assistants.a).not.toHaveProperty("memory");
  });

  it("reads YAML merge keys, as PyYAML does", () => {
    const yaml = `
x-defaults: &defaults
  timeout: 30
  max_retries: 5
backends:
  - name: b
    kind: openai
    <<: *defaults
`;
    expect(parseConfig(yaml, { env }).backends.b).toMatchObject({ timeout: 30, max_retries: 5 });
  });

  it("accepts its own output unchanged", () => {
    const config = parseConfig(
      {
        server: { body_limit: "1mb", cors_origins: "a,b" },
        admin: { api_key: "k" },
        proxy_api_keys: ["p"],
        apiman: { mode: "gateway_probe", gateway_url: "http://gw" },
        backends: [
          { name: "o", type: "openai", default_headers: { "X-A": 1 } },
          { name: "d", kind: "demo" },
        ],
        mcp_servers: [
          { name: "s", command: "x", args: [1] },
          { name: "h", type: "http", url: "http://h/mcp/" },
        ],
        assistants: [{ name: "a", backend: "o", model: "m", temperature: 0.1, mcp_servers: "s" }],
      },
      { env },
    );
    expect(parseConfig(config, { env, expandEnv: false })).toEqual(config);
    expect(parseConfig(JSON.parse(JSON.stringify(config)), { env, expandEnv: false })).toEqual(
      config,
    );
  });
});

describe("the exported schemas work alone", () => {
  it("backendSchema", () => {
    expect(backendSchema.parse({ name: "x", provider: "anthropic" })).toMatchObject({
      kind: "anthropic",
      base_url: "https://api.anthropic.com/v1",
    });
    expect(backendSchema.safeParse({ name: "x" }).success).toBe(false);
  });

  it("mcpServerSchema", () => {
    expect(
      mcpServerSchema.parse({ name: "x", url: "http://h/sse", transport: "sse" }).transport,
    ).toBe("sse");
    expect(mcpServerSchema.safeParse({ name: "x", transport: "stdio" }).success).toBe(false);
  });

  it("assistantSchema", () => {
    expect(
      assistantSchema.parse({ name: "x", backend: "b", model: "m", top_p: "0.5" }).params,
    ).toEqual({
      top_p: 0.5,
    });
  });

  it("apimanSchema", () => {
    expect(apimanSchema.safeParse({ mode: "trusted_header", header: "h" }).success).toBe(false);
  });
});
