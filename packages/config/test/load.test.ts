// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these tests are about.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AbortedError } from "@aiproxy/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, redact, validateReferences } from "../src/index.js";

const fixture = fileURLToPath(
  new URL("./fixtures/original-aiproxy.config.example.yaml", import.meta.url),
);
const keys = { OPENAI_API_KEY: "sk-openai-test", ANTHROPIC_API_KEY: "sk-ant-test" };

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aiproxy-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads and validates a YAML file, expanding from the given env", async () => {
    const path = join(dir, "ok.yaml");
    await writeFile(path, "server:\n  port: ${PORT}\nbackends:\n  demo:\n    kind: demo\n");
    const config = await loadConfig(path, { env: { PORT: "8123" } });
    expect(config.server.port).toBe(8123);
    expect(Object.keys(config.backends)).toEqual(["demo"]);
  });

  it("a missing file is a ConfigError naming the path", async () => {
    const path = join(dir, "nope.yaml");
    const error = await rejection(loadConfig(path, { env: {} }));
    expect(error.message).toBe(`config file not found: ${path}`);
    expect(error.issues).toEqual([{ path: "", message: `config file not found: ${path}` }]);
    expect(error.file).toBe(path);
  });

  it("a directory is a ConfigError saying why it cannot be read", async () => {
    const error = await rejection(loadConfig(dir, { env: {} }));
    expect(error.message).toBe(`cannot read config file ${dir}: EISDIR`);
  });

  it("problems in the file carry the file name and their YAML paths", async () => {
    const path = join(dir, "bad.yaml");
    await writeFile(path, "assistants:\n  - name: a\n    backend: nope\n    model: m\n");
    const error = await rejection(loadConfig(path, { env: {} }));
    expect(error.file).toBe(path);
    expect(error.message).toBe('assistants[0].backend: unknown backend "nope"');
  });

  it("invalid YAML reports line and column", async () => {
    const path = join(dir, "broken.yaml");
    await writeFile(path, "server:\n  port: 1\n host: x\n");
    const error = await rejection(loadConfig(path, { env: {} }));
    expect(error.issues[0]?.path).toBe("line 3, column 1");
  });

  it("honours an abort signal", async () => {
    const path = join(dir, "ok.yaml");
    const error = await loadConfig(path, { env: {}, signal: AbortSignal.abort() }).catch((e) => e);
    expect(AbortedError.isInstance(error)).toBe(true);
  });
});

describe("the original aiproxy's example config", () => {
  it("loads unchanged", async () => {
    const config = await loadConfig(fixture, { env: { ...keys, PROXY_API_KEY_1: "proxy-one" } });
    expect(validateReferences(config)).toEqual([]);

    expect(config.server).toEqual({
      host: "127.0.0.1",
      port: 8000,
      cors_origins: ["http://localhost:3000", "http://127.0.0.1:5173"],
      body_limit_bytes: 10 * 1024 * 1024,
      request_timeout: 600,
      shutdown_grace: 30,
      max_json_depth: 64,
    });
    expect(config.admin).toEqual({ allow_stdio: false, persist_path: "./aiproxy-state.json" });
    expect(config.proxy_api_keys).toEqual(["proxy-one"]);
    expect(config.apiman).toEqual({
      mode: "gateway_probe",
      gateway_url: "http://127.0.0.1:8080/apiman-gateway",
      probe_api: "aiproxy/llm/1.0",
      probe_path: "/health",
      api_key_header: "X-API-Key",
      cache_ttl: 60,
      cache_max_entries: 10_000,
      timeout: 5,
    });

    expect(Object.keys(config.backends)).toEqual(["openai", "anthropic", "ollama", "vllm", "demo"]);
    expect(config.backends.openai).toMatchObject({
      kind: "openai",
      api_key: "sk-openai-test",
      default_headers: {},
      timeout: 600,
      connect_timeout: 30,
      max_retries: 2,
    });
    expect(config.backends.anthropic).toMatchObject({
      kind: "anthropic",
      base_url: "https://api.anthropic.com/v1",
      anthropic_version: "2023-06-01",
      default_max_tokens: 4096,
    });
    expect(config.backends.ollama).toMatchObject({
      kind: "openai",
      base_url: "http://127.0.0.1:11434/v1",
      max_retries: 0,
    });
    expect(config.backends.vllm).toMatchObject({
      base_url: "http://127.0.0.1:8001/v1",
      default_headers: { "X-Request-Source": "aiproxy" },
    });
    expect(config.backends.vllm).not.toHaveProperty("api_key");
    expect(config.backends.vllm).not.toHaveProperty("verify_ssl");
    expect(config.backends.demo).not.toHaveProperty("base_url");

    expect(
      Object.values(config.mcp_servers).map((server) => [
        server.name,
        server.transport,
        server.enabled,
      ]),
    ).toEqual([
      ["everything", "stdio", true],
      ["filesystem", "stdio", true],
      ["memory", "stdio", true],
      ["github", "stdio", false],
      ["weather-sse", "sse", true],
      ["search", "streamable-http", true],
      ["docs", "streamable-http", true],
    ]);
    expect(config.mcp_servers.filesystem).toMatchObject({
      args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
      cwd: "/tmp",
    });
    expect(config.mcp_servers.memory).toMatchObject({
      env: { MEMORY_FILE_PATH: "/tmp/aiproxy-memory.jsonl" },
      timeout: 30,
    });
    expect(config.mcp_servers["weather-sse"]).toMatchObject({
      url: "http://127.0.0.1:3001/sse",
      headers: { Authorization: "Bearer" },
    });

    expect(Object.keys(config.assistants)).toEqual([
      "demo",
      "researcher",
      "claude",
      "local",
      "reasoner",
      "weather",
    ]);
    expect(config.assistants.researcher).toMatchObject({
      backend: "openai",
      mcp_servers: ["search", "filesystem", "docs"],
      max_tool_iterations: 8,
      params: {
        temperature: 0.2,
        top_p: 0.9,
        max_completion_tokens: 2048,
        seed: 42,
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
        parallel_tool_calls: true,
        tool_choice: "auto",
        stop: ["\nUser:"],
      },
      tool_result_max_chars: 20_000,
      tool_activity: true,
    });
    expect(config.assistants.researcher?.system_prompt).toBe(
      "You are a careful research assistant.\nCite the tool results you rely on.\n",
    );
    expect(config.assistants.claude).toMatchObject({
      params: { max_tokens: 4096, temperature: 0.7 },
      extra_body: { thinking: { type: "enabled", budget_tokens: 2048 } },
    });
    expect(config.assistants.local).toMatchObject({
      model: "llama3.1:8b",
      mcp_servers: ["everything"],
      params: { response_format: { type: "json_object" } },
      tool_arguments: { everything__echo: { prefix: "[local] " } },
    });
    expect(config.assistants.reasoner).toMatchObject({
      max_tool_iterations: 0,
      params: { reasoning_effort: "medium", max_tokens: 8192 },
    });
    expect(config.assistants.reasoner).not.toHaveProperty("stream");
    expect(config.assistants.weather?.params.tool_choice).toEqual({
      type: "function",
      function: { name: "weather-sse__get_forecast" },
    });
  });

  it("takes its optional settings from the environment", async () => {
    const config = await loadConfig(fixture, {
      env: {
        ...keys,
        PORT: "9001",
        ADMIN_API_KEY: "adm",
        PROXY_API_KEY_2: "p2",
        PROXY_API_KEY_3: "p3",
        OLLAMA_BASE_URL: "http://gpu-box:11434/v1/",
        OLLAMA_MODEL: "qwen3:14b",
        GITHUB_MCP_ENABLED: "true",
        GITHUB_TOKEN: "ghp_x",
        OPENAI_ORG_ID: "org-1",
      },
    });
    expect(config.server.port).toBe(9001);
    expect(config.admin.api_key).toBe("adm");
    expect(config.proxy_api_keys).toEqual(["p2", "p3"]);
    expect(config.backends.ollama).toMatchObject({ base_url: "http://gpu-box:11434/v1" });
    expect(config.backends.openai).toMatchObject({
      default_headers: { "OpenAI-Organization": "org-1" },
    });
    expect(config.assistants.local?.model).toBe("qwen3:14b");
    expect(config.mcp_servers.github).toMatchObject({
      enabled: true,
      env: { GITHUB_PERSONAL_ACCESS_TOKEN: "ghp_x" },
    });
  });

  it("without the provider keys, names exactly the two variables to set", async () => {
    const error = await rejection(loadConfig(fixture, { env: {} }));
    expect(error.message.split("\n")).toEqual([
      "backends[0].api_key: environment variable OPENAI_API_KEY is not set",
      "backends[1].api_key: environment variable ANTHROPIC_API_KEY is not set",
    ]);
  });

  it("redacts to a config with no secret left", async () => {
    const config = await loadConfig(fixture, {
      env: { ...keys, PROXY_API_KEY_1: "proxy-one", GITHUB_TOKEN: "ghp_x" },
    });
    const text = JSON.stringify(redact(config));
    for (const secret of Object.values(keys)) expect(text).not.toContain(secret);
    expect(text).not.toContain("proxy-one");
    expect(text).not.toContain("ghp_x");
  });
});
