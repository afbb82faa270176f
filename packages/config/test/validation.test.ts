// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these tests are about.
import { AiProxyError, toOpenAIError } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import {
  assistantSchema,
  backendSchema,
  ConfigError,
  mcpServerSchema,
  parseConfig,
  toConfigIssue,
  validateReferences,
} from "../src/index.js";
import { issuesOf, linesOf, minimal } from "./helpers.js";

describe("ConfigError", () => {
  it("is an AiProxyError with code invalid_config, status 422 and every issue in its message", () => {
    const error = new ConfigError([
      { path: "assistants[1].backend", message: 'unknown backend "x"' },
      { path: "", message: "config file not found: /x.yaml" },
    ]);
    expect(AiProxyError.isInstance(error)).toBe(true);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect(ConfigError.isInstance(new Error("x"))).toBe(false);
    expect(error).toMatchObject({
      code: "invalid_config",
      status: 422,
      type: "invalid_request_error",
    });
    expect(error.name).toBe("ConfigError");
    expect(error.message).toBe(
      'assistants[1].backend: unknown backend "x"\nconfig file not found: /x.yaml',
    );
    expect(toOpenAIError(error).body.error).toMatchObject({
      code: "invalid_config",
      message: error.message,
    });
  });
});

describe("parseConfig: every problem in one error", () => {
  it("lists all problems of a file, one per line, by YAML path", () => {
    const yaml = `
backends:
  - name: openai
    kind: openai
  - name: broken
    kind: gpt
assistants:
  - name: ok
    backend: openai
    model: gpt-4o-mini
  - name: bad
    backend: x
    model: m
    temperature: hot
`;
    let error: unknown;
    try {
      parseConfig(yaml, { env: {} });
    } catch (e) {
      error = e;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).message.split("\n")).toEqual([
      'backends[1].kind: must be one of "openai", "anthropic", "demo" (got "gpt")',
      'assistants[1].temperature: expected a number, got "hot"',
      'assistants[1].backend: unknown backend "x"',
    ]);
  });

  it("reports references to an entry that exists but is itself invalid only once", () => {
    expect(
      linesOf({
        backends: [{ name: "b", kind: "nope" }],
        assistants: [{ name: "a", backend: "b", model: "m" }],
      }),
    ).toEqual(['backends[0].kind: must be one of "openai", "anthropic", "demo" (got "nope")']);
  });
});

describe("parseConfig: wrong types", () => {
  it.each([
    [{ server: "fast" }, 'server: expected a map, got "fast"'],
    [{ server: { port: "abc" } }, 'server.port: expected a number, got "abc"'],
    [{ server: { port: 80.5 } }, "server.port: expected an integer, got 80.5"],
    [{ server: { host: 5 } }, "server.host: expected text, got 5"],
    [{ server: { cors_origins: 5 } }, "server.cors_origins: expected a list, got 5"],
    [{ admin: { allow_stdio: "maybe" } }, 'admin.allow_stdio: expected true or false, got "maybe"'],
    [{ proxy_api_keys: { a: 1 } }, "proxy_api_keys: expected a list, got a map"],
    [{ backends: 5 }, "backends: expected a list or a map of backends, got 5"],
    [{ backends: ["openai"] }, 'backends[0]: expected a map of settings, got "openai"'],
    [
      { backends: [{ name: "b", kind: "openai", default_headers: ["x"] }] },
      "backends[0].default_headers: expected a map, got a list",
    ],
    [
      { backends: [{ name: "b", kind: "openai", max_retries: 1.5 }] },
      "backends[0].max_retries: expected an integer, got 1.5",
    ],
    [
      { mcp_servers: [{ name: "s", command: "x", args: "--flag" }] },
      'mcp_servers[0].args: expected a list, got "--flag"',
    ],
    [
      { mcp_servers: [{ name: "s", command: "x", env: { A: ["x"] } }] },
      "mcp_servers[0].env.A: expected text, got a list",
    ],
    [
      { mcp_servers: [{ name: "s", command: "x", enabled: "sometimes" }] },
      'mcp_servers[0].enabled: expected true or false, got "sometimes"',
    ],
    [
      { ...minimal, assistants: [{ name: "a", backend: "demo", model: "m", mcp_servers: 5 }] },
      "assistants[0].mcp_servers: expected a list, got 5",
    ],
    [
      {
        ...minimal,
        assistants: [{ name: "a", backend: "demo", model: "m", tool_activity: "loud" }],
      },
      'assistants[0].tool_activity: expected true or false, got "loud"',
    ],
    [
      {
        ...minimal,
        assistants: [{ name: "a", backend: "demo", model: "m", tool_arguments: { t: 1 } }],
      },
      "assistants[0].tool_arguments.t: expected a map, got 1",
    ],
    [
      {
        ...minimal,
        assistants: [{ name: "a", backend: "demo", model: "m", tool_choice: "sometimes" }],
      },
      'assistants[0].tool_choice: expected "auto", "none", "required" or {type: function, function: {name: ...}}',
    ],
    [
      { ...minimal, assistants: [{ name: "a", backend: "demo", model: ["m"] }] },
      "assistants[0].model: expected text, got a list",
    ],
    [
      { server: { body_limit: "10 parsecs" } },
      'server.body_limit: invalid size "10 parsecs": expected a positive number of bytes or text such as "10mb" or "512kb"',
    ],
  ])("%j", (source, line) => {
    expect(linesOf(source)).toEqual([line]);
  });

  it("the whole config must be a map", () => {
    expect(linesOf("- a\n- b\n")).toEqual(["the config must be a map of settings, got a list"]);
    expect(linesOf("just text")).toEqual(["the config must be a map of settings, got text"]);
  });

  it("never echoes a secret value in a message", () => {
    const lines = linesOf({
      admin: { api_key: 99887766 },
      proxy_api_keys: [1234567],
      backends: [
        { name: "b", kind: "openai", api_key: 55443322, default_headers: { Authorization: [1] } },
      ],
      apiman: { mode: "trusted_header", header: "h", secret: 11223344 },
    });
    expect(lines).toEqual([
      "admin.api_key: expected text, got a number",
      "proxy_api_keys[0]: expected text, got a number",
      "apiman.secret: expected text, got a number",
      "backends[0].api_key: expected text, got a number",
      "backends[0].default_headers.Authorization: expected text, got a list",
    ]);
  });
});

describe("parseConfig: missing required fields", () => {
  it.each([
    [{ ...minimal, assistants: [{ name: "a", backend: "demo" }] }, "assistants[0].model: required"],
    [
      { ...minimal, assistants: [{ name: "a", backend: "demo", model: "" }] },
      "assistants[0].model: required",
    ],
    [
      { ...minimal, assistants: [{ name: "a", backend: "demo", model: "  " }] },
      "assistants[0].model: must not be empty",
    ],
    [{ ...minimal, assistants: [{ name: "a", model: "m" }] }, "assistants[0].backend: required"],
    [{ backends: [{ kind: "demo" }] }, "backends[0].name: required"],
    [
      { backends: [{ name: "b" }] },
      'backends[0].kind: required: one of "openai", "anthropic", "demo"',
    ],
    [{ mcp_servers: [{ name: "s", transport: "stdio" }] }, "mcp_servers[0].command: required"],
    [{ mcp_servers: [{ name: "s", transport: "sse" }] }, "mcp_servers[0].url: required"],
    [{ mcp_servers: [{ name: "s", transport: "http" }] }, "mcp_servers[0].url: required"],
    [
      { mcp_servers: [{ name: "s", transport: "streamable-http" }] },
      "mcp_servers[0].url: required",
    ],
    [
      { mcp_servers: [{ name: "s" }] },
      'mcp_servers[0].transport: required: one of "stdio", "sse", "streamable-http" (or give `command` for stdio, `url` for streamable-http)',
    ],
    [
      { apiman: { gateway_url: "http://gw" } },
      'apiman.mode: required: one of "gateway_probe", "trusted_header"',
    ],
    [{ apiman: { mode: "gateway_probe" } }, "apiman.gateway_url: required"],
  ])("%j", (source, line) => {
    expect(linesOf(source)).toContain(line);
  });

  it("trusted_header needs both header and secret", () => {
    expect(linesOf({ apiman: { mode: "trusted_header" } })).toEqual([
      "apiman.header: required",
      "apiman.secret: required",
    ]);
  });

  it("reports an unset variable once, not also what its empty value broke", () => {
    expect(linesOf({ mcp_servers: [{ name: "s", url: "${MCP_URL}" }] })).toEqual([
      "mcp_servers[0].url: environment variable MCP_URL is not set",
    ]);
    expect(
      linesOf({ ...minimal, assistants: [{ name: "a", backend: "demo", model: "${MODEL}" }] }),
    ).toEqual(["assistants[0].model: environment variable MODEL is not set"]);
  });

  it("reports every unset variable of a file with its path", () => {
    const yaml = `
backends:
  - name: openai
    kind: openai
    api_key: \${OPENAI_API_KEY}
  - name: anthropic
    kind: anthropic
    api_key: \${ANTHROPIC_API_KEY}
admin:
  api_key: \${ADMIN_API_KEY}
`;
    expect(linesOf(yaml)).toEqual([
      "backends[0].api_key: environment variable OPENAI_API_KEY is not set",
      "backends[1].api_key: environment variable ANTHROPIC_API_KEY is not set",
      "admin.api_key: environment variable ADMIN_API_KEY is not set",
    ]);
  });
});

describe("parseConfig: bad enum values", () => {
  it.each([
    [
      { backends: [{ name: "b", kind: "gemini" }] },
      'backends[0].kind: must be one of "openai", "anthropic", "demo" (got "gemini")',
    ],
    [
      { backends: [{ name: "b", type: "gemini" }] },
      'backends[0].type: must be one of "openai", "anthropic", "demo" (got "gemini")',
    ],
    [
      { backends: [{ name: "b", provider: "x" }] },
      'backends[0].provider: must be one of "openai", "anthropic", "demo" (got "x")',
    ],
    [
      { mcp_servers: [{ name: "s", transport: "websocket", url: "ws://h" }] },
      'mcp_servers[0].transport: must be one of "stdio", "sse", "streamable-http" (got "websocket")',
    ],
    [
      { mcp_servers: [{ name: "s", type: "grpc", command: "x" }] },
      'mcp_servers[0].type: must be one of "stdio", "sse", "streamable-http" (got "grpc")',
    ],
    [
      { apiman: { mode: "oauth" } },
      'apiman.mode: must be one of "gateway_probe", "trusted_header" (got "oauth")',
    ],
  ])("%j", (source, line) => {
    expect(linesOf(source)).toEqual([line]);
  });
});

describe("parseConfig: bad URLs", () => {
  it.each([
    [
      { backends: [{ name: "b", kind: "openai", base_url: "api.openai.com/v1" }] },
      'backends[0].base_url: invalid URL "api.openai.com/v1": expected an absolute http:// or https:// URL',
    ],
    [
      { mcp_servers: [{ name: "s", transport: "sse", url: "ftp://h/sse" }] },
      'mcp_servers[0].url: invalid URL "ftp://h/sse": expected an absolute http:// or https:// URL',
    ],
    [
      { mcp_servers: [{ name: "s", url: "not a url" }] },
      'mcp_servers[0].url: invalid URL "not a url": expected an absolute http:// or https:// URL',
    ],
    [
      { apiman: { mode: "gateway_probe", gateway_url: "gw:8080" } },
      'apiman.gateway_url: invalid URL "gw:8080": expected an absolute http:// or https:// URL',
    ],
  ])("%j", (source, line) => {
    expect(linesOf(source)).toEqual([line]);
  });
});

describe("parseConfig: numbers out of range", () => {
  it.each([
    [{ server: { port: -1 } }, "server.port: must be >= 0 (got -1)"],
    [{ server: { port: 70000 } }, "server.port: must be <= 65535 (got 70000)"],
    [{ server: { request_timeout: 0 } }, "server.request_timeout: must be > 0 (got 0)"],
    [{ server: { shutdown_grace: -5 } }, "server.shutdown_grace: must be >= 0 (got -5)"],
    [
      { backends: [{ name: "b", kind: "openai", timeout: -1 }] },
      "backends[0].timeout: must be > 0 (got -1)",
    ],
    [
      { backends: [{ name: "b", kind: "openai", connect_timeout: "-3" }] },
      "backends[0].connect_timeout: must be > 0 (got -3)",
    ],
    [
      { backends: [{ name: "b", kind: "openai", max_retries: -1 }] },
      "backends[0].max_retries: must be >= 0 (got -1)",
    ],
    [
      { backends: [{ name: "b", kind: "anthropic", default_max_tokens: 0 }] },
      "backends[0].default_max_tokens: must be > 0 (got 0)",
    ],
    [
      { mcp_servers: [{ name: "s", command: "x", timeout: -1 }] },
      "mcp_servers[0].timeout: must be > 0 (got -1)",
    ],
    [
      {
        ...minimal,
        assistants: [{ name: "a", backend: "demo", model: "m", max_tool_iterations: -1 }],
      },
      "assistants[0].max_tool_iterations: must be >= 0 (got -1)",
    ],
    [
      { ...minimal, assistants: [{ name: "a", backend: "demo", model: "m", temperature: -0.1 }] },
      "assistants[0].temperature: must be >= 0 (got -0.1)",
    ],
    [
      { ...minimal, assistants: [{ name: "a", backend: "demo", model: "m", top_p: 1.5 }] },
      "assistants[0].top_p: must be <= 1 (got 1.5)",
    ],
    [
      { ...minimal, assistants: [{ name: "a", backend: "demo", model: "m", max_tokens: 0 }] },
      "assistants[0].max_tokens: must be > 0 (got 0)",
    ],
    [
      {
        ...minimal,
        assistants: [{ name: "a", backend: "demo", model: "m", tool_result_max_chars: -10 }],
      },
      "assistants[0].tool_result_max_chars: must be > 0 (got -10)",
    ],
    [
      { apiman: { mode: "gateway_probe", gateway_url: "http://gw", cache_ttl: -1 } },
      "apiman.cache_ttl: must be >= 0 (got -1)",
    ],
    [
      { apiman: { mode: "gateway_probe", gateway_url: "http://gw", timeout: 0 } },
      "apiman.timeout: must be > 0 (got 0)",
    ],
  ])("%j", (source, line) => {
    expect(linesOf(source)).toEqual([line]);
  });
});

describe("parseConfig: names", () => {
  it("reports a duplicate name where it repeats", () => {
    expect(
      linesOf({
        backends: [
          { name: "b", kind: "demo" },
          { name: "c", kind: "demo" },
          { name: "b", kind: "openai" },
        ],
      }),
    ).toEqual(['backends[2].name: duplicate name "b" (first used at backends[0])']);
  });

  it("reports a duplicate key of map style as a YAML error with its line", () => {
    const lines = linesOf("backends:\n  a:\n    kind: demo\n  a:\n    kind: openai\n");
    expect(lines).toEqual(["line 4, column 3: invalid YAML: Map keys must be unique"]);
  });

  it.each([
    [{ backends: [{ name: "has space", kind: "demo" }] }, "backends[0].name"],
    [{ backends: [{ name: "-leading", kind: "demo" }] }, "backends[0].name"],
    [{ mcp_servers: [{ name: "a/b", command: "x" }] }, "mcp_servers[0].name"],
    [{ assistants: [{ name: "x".repeat(65), backend: "b", model: "m" }] }, "assistants[0].name"],
    [{ backends: { "bad name": { kind: "demo" } } }, 'backends["bad name"]'],
  ])("rejects an invalid name in %j", (source, path) => {
    const issues = issuesOf(source).filter((issue) => issue.path === path);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/^invalid name ".*": use 1 to 64 letters, digits/);
  });

  it("accepts names with dots, dashes and underscores up to 64 characters", () => {
    const name = `a${"b".repeat(63)}`;
    const config = parseConfig(
      {
        backends: [
          { name: "gpt-4o.mini_v2", kind: "demo" },
          { name, kind: "demo" },
        ],
      },
      { env: {} },
    );
    expect(Object.keys(config.backends)).toEqual(["gpt-4o.mini_v2", name]);
  });

  it("in map style, a name that differs from its key is an error", () => {
    expect(
      linesOf({
        backends: { a: { name: "b", kind: "demo" } },
        assistants: { x: { backend: "a", model: "m" } },
      }),
    ).toEqual(['backends.a.name: name "b" differs from its key "a"']);
  });
});

describe("parseConfig: references", () => {
  it("reports an unknown backend and unknown MCP servers by the assistant's path", () => {
    const lines = linesOf({
      backends: [{ name: "openai", kind: "openai" }],
      mcp_servers: [{ name: "fs", command: "x" }],
      assistants: [
        { name: "ok", backend: "openai", model: "m", mcp_servers: ["fs"] },
        { name: "bad", backend: "x", model: "m", mcp_servers: ["fs", "web", "db"] },
        { name: "one", backend: "openai", model: "m", mcp_servers: "web" },
      ],
    });
    expect(lines).toEqual([
      'assistants[1].backend: unknown backend "x"',
      'assistants[1].mcp_servers[1]: unknown MCP server "web"',
      'assistants[1].mcp_servers[2]: unknown MCP server "db"',
      'assistants[2].mcp_servers: unknown MCP server "web"',
    ]);
  });

  it("uses map-style paths in map style", () => {
    expect(linesOf({ assistants: { helper: { backend: "nope", model: "m" } } })).toEqual([
      'assistants.helper.backend: unknown backend "nope"',
    ]);
  });

  it("still checks references when other parts are invalid", () => {
    const lines = linesOf({
      server: { port: "x" },
      backends: [{ name: "b", kind: "demo" }],
      assistants: [{ name: "a", backend: "missing", model: "m", temperature: "hot" }],
    });
    expect(lines).toEqual([
      'server.port: expected a number, got "x"',
      'assistants[0].temperature: expected a number, got "hot"',
      'assistants[0].backend: unknown backend "missing"',
    ]);
  });
});

describe("validateReferences", () => {
  it("finds nothing wrong in a valid config", () => {
    const config = parseConfig(minimal, { env: {} });
    expect(validateReferences(config)).toEqual([]);
  });

  it("re-checks a config changed after parsing, with paths by name", () => {
    const config = parseConfig(
      {
        backends: [{ name: "b", kind: "demo" }],
        mcp_servers: [{ name: "s", command: "x" }],
        assistants: [{ name: "a", backend: "b", model: "m", mcp_servers: ["s"] }],
      },
      { env: {} },
    );
    // What an admin DELETE of the backend and the server would leave behind.
    delete config.backends.b;
    delete config.mcp_servers.s;
    const renamed = config.assistants.a!;
    config.assistants.renamed = renamed;
    expect(validateReferences(config)).toEqual([
      { path: "assistants.renamed.name", message: 'name "a" differs from its key "renamed"' },
      { path: "assistants.a.backend", message: 'unknown backend "b"' },
      { path: "assistants.a.mcp_servers[0]", message: 'unknown MCP server "s"' },
      { path: "assistants.renamed.backend", message: 'unknown backend "b"' },
      { path: "assistants.renamed.mcp_servers[0]", message: 'unknown MCP server "s"' },
    ]);
  });
});

describe("invalid YAML", () => {
  it("is a ConfigError with the line and column", () => {
    const lines = linesOf("server:\n  port: 8000\n  host: [unclosed\nbackends: []\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^line \d+, column \d+: invalid YAML: /);
  });

  it("points at the offending line", () => {
    expect(linesOf("server:\n  port: 1\n host: x\n")).toEqual([
      "line 3, column 1: invalid YAML: All mapping items must start at the same column",
    ]);
    expect(issuesOf('server:\n  host: "unterminated\n')[0]?.path).toMatch(/^line \d+, column \d+$/);
  });

  it("rejects several documents in one file", () => {
    expect(linesOf("server: {}\n---\nserver: {}\n")[0]).toMatch(
      /^line 2, column 1: invalid YAML: .*multiple documents/,
    );
  });
});

describe("toConfigIssue, for bodies checked with a schema alone", () => {
  it.each([true, false])("gives the same messages with reportInput %s", (reportInput) => {
    const body = { name: "b", type: "gemini", timeout: "soon", api_key: 1234 };
    const result = backendSchema.safeParse(body, { reportInput });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => toConfigIssue(issue, body))).toEqual([
      { path: "type", message: 'must be one of "openai", "anthropic", "demo" (got "gemini")' },
      { path: "api_key", message: "expected text, got a number" },
      { path: "timeout", message: 'expected a number, got "soon"' },
    ]);
  });

  it("reports a missing discriminator and nested names where they are", () => {
    const body = { name: "s" };
    const result = mcpServerSchema.safeParse(body);
    expect(result.error?.issues.map((issue) => toConfigIssue(issue, body))[0]?.message).toMatch(
      /^required: one of "stdio", "sse", "streamable-http"/,
    );
    const assistant = {
      name: "a",
      backend: "b",
      model: "m",
      tool_choice: { type: "function", function: {} },
    };
    const parsed = assistantSchema.safeParse(assistant);
    expect(parsed.error?.issues.map((issue) => toConfigIssue(issue, assistant))[0]?.path).toBe(
      "tool_choice",
    );
  });
});
