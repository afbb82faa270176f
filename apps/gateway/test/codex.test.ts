import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { probeIsolation, runInNamespace, toolResultTexts } from "./helpers/agent-cli.js";
import type { CodexJob, CodexReport } from "./helpers/agent-cli-harness.js";
import { REPO_ROOT } from "./helpers/gateway-process.js";

/**
 * Codex CLI (its native binary from npm, `codex exec`) completes a task
 * through the gateway's Responses API, with a model provider in its
 * `config.toml` (`base_url` = the gateway's /v1, `env_key`, `wire_api =
 * "responses"`): the scripted model calls the assistant's MCP tool (run by
 * the gateway, an `mcp_call` item), then Codex's own shell tool (run by
 * Codex, sent back as `function_call_output`), then answers with both.
 * Everything runs in a network namespace with only loopback (see
 * helpers/agent-cli-harness.ts). What Codex sends is recorded at test time and
 * checked for the fields the gateway must accept; its instructions text is
 * never written to the repository.
 */

const GATEWAY_CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const MCP_SERVER = join(REPO_ROOT, "packages", "demo", "dist", "mcp-server.js");
const ADDENDS = { a: 2345, b: 5432 };
/** Codex starts, loads and runs three model turns; minutes, not seconds, on a busy machine. */
const RUN_TIMEOUT_MS = 240_000;

const isolation = probeIsolation("Codex", codexBinary, "@openai/codex-linux-x64");
if (!isolation.ok) console.warn(`codex tests skipped: ${isolation.reason}`);

// biome-ignore lint/suspicious/noExplicitAny: request bodies, indexed freely.
type Body = Record<string, any>;

describe.skipIf(!isolation.ok)("Codex CLI through the gateway (Responses API)", () => {
  let report: CodexReport;
  let token: string;
  beforeAll(async () => {
    ({ report, token } = await runHarness());
  }, RUN_TIMEOUT_MS);

  it("exits 0 with the final text; the model saw the MCP tool's real output and Codex's shell output", () => {
    const { codex } = report;
    expect(codex.code, `${codex.stderr}\n${codex.stdout}\n${report.gatewayOutput}`).toBe(0);
    const sum = String(ADDENDS.a + ADDENDS.b);
    expect(codex.lastMessage).toContain(`the sum is ${sum}`);
    expect(codex.lastMessage).toContain(token);
    const results = report.upstreamRequests.flatMap((r) => toolResultTexts(r.body as Body));
    expect(results).toContain(sum);
    expect(results.some((text) => text.includes(token))).toBe(true);
  });

  it("every request Codex sent was accepted, with the fields that make it Codex's", () => {
    const turns = responsesRequests(report);
    expect(turns.length).toBeGreaterThanOrEqual(2);
    for (const turn of turns) expect(turn.status).toBe(200);
    const first = turns[0]?.body as Body;
    expect(first).toMatchObject({
      stream: true,
      store: false,
      include: expect.arrayContaining(["reasoning.encrypted_content"]),
      reasoning: { summary: expect.any(String) },
      parallel_tool_calls: expect.any(Boolean),
      prompt_cache_key: expect.any(String),
      client_metadata: expect.any(Object),
    });
    expect(first.input.some((i: Body) => i.role === "developer")).toBe(true);
    const types = new Set(first.tools.map((t: Body) => t.type));
    for (const type of ["function", "namespace", "web_search"]) expect(types).toContain(type);
    expect(first.tools.some((t: Body) => t.name === "exec_command")).toBe(true);
  });

  it("offers Codex's function and namespace tools beside the assistant's MCP tool; web_search is dropped and named", () => {
    const first = responsesRequests(report)[0]?.body as Body;
    const namespace = first.tools.find((t: Body) => t.type === "namespace");
    const upstreamFirst = (report.upstreamRequests[0]?.body ?? {}) as Body;
    const offered = (upstreamFirst.tools ?? []).map((t: Body) => t.function.name);
    expect(offered).toContain("exec_command");
    expect(offered).toContain("demo__add");
    for (const inner of namespace.tools.filter((t: Body) => t.type === "function"))
      expect(offered).toContain(`${namespace.name}__${inner.name}`);
    expect(report.gatewayOutput).toMatch(/"droppedTools":\["web_search"\]/);
  });

  it("the second turn carries Codex's shell result back as function_call_output, stateless", () => {
    const turns = responsesRequests(report);
    const last = turns.at(-1)?.body as Body;
    expect(last.previous_response_id ?? null).toBeNull();
    const output = last.input.find((i: Body) => i.type === "function_call_output");
    expect(JSON.stringify(output)).toContain(token);
  });
});

function responsesRequests(report: CodexReport) {
  return report.clientRequests.filter(
    (r) => r.method === "POST" && /^\/v1\/responses(\?|$)/.test(r.path),
  );
}

async function runHarness(): Promise<{ report: CodexReport; token: string }> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "aiproxy-codex-")));
  const workDir = join(root, "work");
  const codexHome = join(root, "codex-home");
  mkdirSync(workDir);
  mkdirSync(codexHome);
  const token = `FILE-TOKEN-${randomBytes(6).toString("hex")}`;
  writeFileSync(join(workDir, "notes.txt"), `The note says ${token}.\n`);
  const job: CodexJob = {
    cli: "codex",
    codex: codexBinary(),
    gatewayCli: GATEWAY_CLI,
    mcpServer: MCP_SERVER,
    workDir,
    codexHome,
    file: "notes.txt",
    prompt: `Add ${ADDENDS.a} and ${ADDENDS.b}, then print notes.txt and tell me both.`,
    assistant: "coder",
    proxyKey: "proxy-key-codex",
    addends: ADDENDS,
    reportPath: join(root, "report.json"),
  };
  return { report: await runInNamespace<CodexReport>(job, root), token };
}

/** npm's `@openai/codex-linux-x64` (an alias of `@openai/codex@<version>-linux-x64`) ships the native binary. */
function codexBinary(): string {
  const require = createRequire(import.meta.url);
  return join(
    dirname(require.resolve("@openai/codex-linux-x64/package.json")),
    "vendor",
    "x86_64-unknown-linux-musl",
    "bin",
    "codex",
  );
}
