import { randomBytes } from "node:crypto";
import { mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { probeIsolation, runInNamespace, toolResultTexts } from "./helpers/agent-cli.js";
import type { ClaudeCodeJob, HarnessReport } from "./helpers/agent-cli-harness.js";
import { REPO_ROOT } from "./helpers/gateway-process.js";

/**
 * Claude Code (its native binary from npm) completes a task through the
 * gateway: the scripted model calls the assistant's MCP tool (run by the
 * gateway), then Claude Code's own `Read` (run by Claude Code), then
 * answers with both results. Everything runs in a network namespace with
 * only loopback (see helpers/agent-cli-harness.ts), so nothing can leave
 * the machine. The request Claude Code sends is recorded at test time and
 * compared, field by field, with what the upstream received.
 */

const GATEWAY_CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const MCP_SERVER = join(REPO_ROOT, "packages", "demo", "dist", "mcp-server.js");
const ADDENDS = { a: 1234, b: 4321 };
/** Claude Code starts, loads and runs two model turns; minutes, not seconds, on a busy machine. */
const RUN_TIMEOUT_MS = 240_000;

const isolation = probeIsolation(
  "Claude Code",
  claudeBinary,
  "@anthropic-ai/claude-code-linux-x64",
);
if (!isolation.ok) console.warn(`claude-code tests skipped: ${isolation.reason}`);

// biome-ignore lint/suspicious/noExplicitAny: request bodies of either wire, indexed freely.
type Body = Record<string, any>;

describe.skipIf(!isolation.ok)("Claude Code through the gateway, Anthropic-wire backend", () => {
  let run: Run;
  beforeAll(async () => {
    run = await runHarness("anthropic");
  }, RUN_TIMEOUT_MS);

  it("completes the task with the MCP tool's output and its own Read", () => {
    expectCompleted(run);
  });

  it("forwards Claude Code's request unchanged but for the model: cache_control, thinking, betas, inline system turn, deferred tools", () => {
    const client = firstMessagesRequest(run.report.clientRequests);
    const upstream = run.report.upstreamRequests[0];
    expect(upstream).toBeDefined();
    const sent = client.body as Body;
    const received = upstream?.body as Body;
    // What makes this request worth checking is there to begin with.
    expect(JSON.stringify(sent.system)).toContain('"cache_control"');
    expect(sent.thinking).toBeDefined();
    expect(sent.messages.some((m: Body) => m.role === "system")).toBe(true);
    expect(sent.tools.some((t: Body) => t.defer_loading === true)).toBe(true);
    expect(client.headers["anthropic-beta"]).toBeTruthy();

    for (const key of Object.keys(sent)) {
      if (key === "model" || key === "tools") continue;
      expect({ [key]: received[key] }).toEqual({ [key]: sent[key] });
    }
    expect(received.model).toBe("scripted");
    // Claude Code's tools as it declared them, beside the assistant's MCP tool.
    for (const tool of sent.tools) expect(received.tools).toContainEqual(tool);
    expect(received.tools.map((t: Body) => t.name)).toContain("demo__add");
    expect(upstream?.headers["anthropic-beta"]).toBe(client.headers["anthropic-beta"]);
  });

  it("keeps Claude Code's history verbatim after its tool round, signatures and all", () => {
    const clientTurns = run.report.clientRequests.filter(isMessagesRequest);
    const last = clientTurns.at(-1)?.body as Body;
    const upstreamLast = run.report.upstreamRequests.at(-1)?.body as Body;
    expect(clientTurns.length).toBeGreaterThanOrEqual(2);
    expect(upstreamLast.messages).toEqual(last.messages);
  });
});

describe.skipIf(!isolation.ok)("Claude Code through the gateway, OpenAI-wire backend", () => {
  let run: Run;
  beforeAll(async () => {
    run = await runHarness("openai");
  }, RUN_TIMEOUT_MS);

  it("completes the task with the MCP tool's output and its own Read", () => {
    expectCompleted(run);
  });

  it("maps what maps and drops the rest, as the README's table says", () => {
    const sent = firstMessagesRequest(run.report.clientRequests).body as Body;
    const received = run.report.upstreamRequests[0]?.body as Body;
    const text = JSON.stringify(received);
    expect(text).not.toContain("providerData");
    for (const dropped of [
      "cache_control",
      "defer_loading",
      "context_management",
      "output_config",
      "thinking",
    ])
      expect(text).not.toContain(`"${dropped}"`);
    expect(received.user).toBe(sent.metadata.user_id);
    expect(received.messages[0].role).toBe("system");
    const systemText = sent.system.map((b: Body) => b.text).join("\n\n");
    expect(received.messages[0].content).toBe(systemText);
    const names = received.tools.map((t: Body) => t.function.name);
    expect(names).toEqual(expect.arrayContaining(["demo__add", "Read"]));
    for (const tool of sent.tools.filter((t: Body) => t.defer_loading === true))
      expect(names).not.toContain(tool.name);
  });
});

interface Run {
  job: ClaudeCodeJob;
  report: HarnessReport;
  token: string;
}

function expectCompleted({ report, token }: Run): void {
  const { claude } = report;
  expect(claude.code, `${claude.stderr}\n${report.gatewayOutput}`).toBe(0);
  const result = JSON.parse(claude.stdout) as { result?: string; is_error?: boolean };
  expect(result.is_error).toBe(false);
  expect(result.result).toContain(`the sum is ${ADDENDS.a + ADDENDS.b}`);
  expect(result.result).toContain(token);
  const results = report.upstreamRequests.flatMap((r) => toolResultTexts(r.body as Body));
  // The MCP server's real answer reached the model, and so did what Claude Code read.
  expect(results).toContain(String(ADDENDS.a + ADDENDS.b));
  expect(results.some((text) => text.includes(token))).toBe(true);
}

async function runHarness(wire: ClaudeCodeJob["wire"]): Promise<Run> {
  const workDir = realpathSync(mkdtempSync(join(tmpdir(), "aiproxy-claude-code-")));
  const token = `FILE-TOKEN-${randomBytes(6).toString("hex")}`;
  const file = join(workDir, "notes.txt");
  writeFileSync(file, `The note says ${token}.\n`);
  const job: ClaudeCodeJob = {
    cli: "claude-code",
    wire,
    claude: claudeBinary(),
    gatewayCli: GATEWAY_CLI,
    mcpServer: MCP_SERVER,
    workDir,
    file,
    prompt: `Add ${ADDENDS.a} and ${ADDENDS.b}, then read ${file} and tell me both.`,
    assistant: "coder",
    proxyKey: "proxy-key-claude-code",
    addends: ADDENDS,
    reportPath: join(workDir, "report.json"),
  };
  return { job, report: await runInNamespace<HarnessReport>(job, workDir), token };
}

function isMessagesRequest(request: HarnessReport["clientRequests"][number]): boolean {
  return /^\/v1\/messages(\?|$)/.test(request.path);
}

function firstMessagesRequest(requests: HarnessReport["clientRequests"]) {
  const first = requests.find(isMessagesRequest);
  if (!first) throw new Error("Claude Code sent no /v1/messages request");
  return first;
}

function claudeBinary(): string {
  const require = createRequire(import.meta.url);
  return join(
    dirname(require.resolve("@anthropic-ai/claude-code-linux-x64/package.json")),
    "claude",
  );
}
