/**
 * Runs inside a network namespace that has only loopback (a test starts it
 * as `unshare -n ... node agent-cli-harness.ts <job.json>`, see
 * agent-cli.ts): a scripted upstream, the gateway in front of it, a recorder
 * between the coding-agent CLI and the gateway, and the CLI itself — Claude
 * Code (`claude -p`, the Messages API) or Codex (`codex exec` with a
 * `config.toml` in a temporary CODEX_HOME, the Responses API). Writes what
 * everyone saw to the job's report file and exits. Nothing here can reach
 * another address.
 *
 * The scripted model: first it calls the assistant's MCP tool `demo__add`
 * (the gateway runs it), then, having its result, the CLI's own tool that
 * reads the job's file (Claude Code's `Read`, Codex's shell `exec_command`,
 * which the CLI runs and sends back), and last it answers with both results.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { type RecordedRequest, startScriptedUpstream, type Turn } from "@aiproxy/testkit";

// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON of either wire; read freely.
type Loose = Record<string, any>;

interface JobBase {
  gatewayCli: string;
  mcpServer: string;
  /** The CLI's HOME and working directory; holds the file it reads. */
  workDir: string;
  /** The file the scripted model asks the CLI to read: a path for Claude Code, a name in `workDir` for Codex. */
  file: string;
  prompt: string;
  /** The assistant's name (the CLI's model) and the gateway key it sends. */
  assistant: string;
  proxyKey: string;
  /** What the scripted model asks the MCP `add` tool to add. */
  addends: { a: number; b: number };
  /** Where the report goes; the gateway's config is written beside it. */
  reportPath: string;
}

export interface ClaudeCodeJob extends JobBase {
  cli: "claude-code";
  /** The backend's wire: the gateway translates when it is not Anthropic's. */
  wire: "anthropic" | "openai";
  claude: string;
}

export interface CodexJob extends JobBase {
  cli: "codex";
  codex: string;
  /** CODEX_HOME, where the harness writes `config.toml`. */
  codexHome: string;
}

export type HarnessJob = ClaudeCodeJob | CodexJob;

/** A request the CLI sent the gateway, as it arrived, and the status it got. */
export interface ClientRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  status?: number;
}

interface ReportBase {
  clientRequests: ClientRequest[];
  upstreamRequests: RecordedRequest[];
  gatewayOutput: string;
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface HarnessReport extends ReportBase {
  claude: CliRun;
}

export interface CodexReport extends ReportBase {
  codex: CliRun & { lastMessage: string };
}

const job = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as HarnessJob;
const children: ChildProcess[] = [];
const stopAll = () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
};
process.on("SIGTERM", () => {
  stopAll();
  process.exit(1);
});

const upstream = await startScriptedUpstream({ fallback: (request) => script(request, job) });
const gateway = await startGateway(job, `${upstream.url}/v1`);
const recorder = await startRecorder(gateway.url);
const shared = {
  clientRequests: recorder.requests,
  upstreamRequests: upstream.requests,
};
const report: HarnessReport | CodexReport =
  job.cli === "claude-code"
    ? { claude: await runClaude(job, recorder.url), ...shared, gatewayOutput: gateway.output() }
    : {
        codex: await runCodex(job, `${recorder.url}/v1`),
        ...shared,
        gatewayOutput: gateway.output(),
      };
writeFileSync(job.reportPath, JSON.stringify(report));
stopAll();
await upstream.close();
recorder.close();
process.exit(0);

/** The CLI's own tool that reads the job's file, and how the model asks for it. */
function readTool({ cli, file }: HarnessJob): { name: string; arguments: Loose; verb: string } {
  return cli === "claude-code"
    ? { name: "Read", arguments: { file_path: file }, verb: "reading" }
    : { name: "exec_command", arguments: { cmd: `cat ${file}` }, verb: "printing" };
}

function script(request: RecordedRequest, current: HarnessJob): Turn {
  const results = toolResults(request);
  const tool = readTool(current);
  const read = results.find((r) => r.name === tool.name);
  if (read) {
    const sum = /the sum is (\d+)/i.exec(assistantText(request))?.[1] ?? "unknown";
    const token = /FILE-TOKEN-\w+/.exec(read.text)?.[0] ?? "missing";
    return { text: `Done: the sum is ${sum} and the file says ${token}.` };
  }
  const add = results.find((r) => r.name === "demo__add");
  if (add)
    return {
      text: `The sum is ${add.text.trim()}. Now ${tool.verb} the file.`,
      toolCalls: [{ name: tool.name, arguments: tool.arguments }],
    };
  return { toolCalls: [{ name: "demo__add", arguments: current.addends }] };
}

/** Every tool result in the transcript, either wire, with the name of the tool that made it. */
function toolResults(request: RecordedRequest): Array<{ name: string | undefined; text: string }> {
  const messages: Loose[] = request.body?.messages ?? [];
  const names = new Map<string, string>();
  const out: Array<{ name: string | undefined; text: string }> = [];
  for (const message of messages) {
    for (const call of (message.tool_calls as Loose[]) ?? [])
      names.set(call.id, call.function?.name);
    if (message.role === "tool")
      out.push({ name: names.get(String(message.tool_call_id)), text: textOf(message.content) });
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content as Loose[]) {
      if (block.type === "tool_use") names.set(block.id, block.name);
      if (block.type === "tool_result")
        out.push({ name: names.get(block.tool_use_id), text: textOf(block.content) });
    }
  }
  return out;
}

function assistantText(request: RecordedRequest): string {
  const messages: Loose[] = request.body?.messages ?? [];
  return messages
    .filter((m) => m.role === "assistant")
    .map((m) => textOf(m.content))
    .join("\n");
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
}

async function startGateway(current: HarnessJob, upstreamBase: string) {
  const kind = current.cli === "claude-code" ? current.wire : "openai";
  const config = {
    proxy_api_keys: [current.proxyKey],
    backends: [{ name: "up", kind, base_url: upstreamBase }],
    mcp_servers: [
      { name: "demo", transport: "stdio", command: process.execPath, args: [current.mcpServer] },
    ],
    assistants: [
      { name: current.assistant, backend: "up", model: "scripted", mcp_servers: ["demo"] },
    ],
  };
  const configPath = join(dirname(current.reportPath), "gateway.json");
  writeFileSync(configPath, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    [current.gatewayCli, "--config", configPath, "--port", "0"],
    {
      env: { PATH: process.env.PATH ?? "", HOME: current.workDir, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      for (const line of output.split("\n")) {
        if (!line.includes("aiproxy listening")) continue;
        try {
          const entry = JSON.parse(line) as { url?: string };
          if (entry.url) resolve(entry.url);
        } catch {
          // The line is not complete yet.
        }
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
  });
  return { url, output: () => output };
}

/** A pass-through proxy that keeps each request the CLI sends, as it sent it, and the status it got. */
async function startRecorder(target: string) {
  const requests: ClientRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      let body: unknown = raw.toString("utf8");
      try {
        body = JSON.parse(body as string);
      } catch {
        // Not JSON: kept as text.
      }
      const entry: ClientRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers as Record<string, string>,
        body,
      };
      requests.push(entry);
      const forward = httpRequest(
        new URL(req.url ?? "/", target),
        { method: req.method, headers: req.headers },
        (gatewayRes) => {
          entry.status = gatewayRes.statusCode;
          res.writeHead(gatewayRes.statusCode ?? 502, gatewayRes.headers);
          gatewayRes.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => server.close() };
}

/** Runs the CLI to its end, its output kept. */
function collect(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise<CliRun>((resolve) =>
    child.once("close", (code) => resolve({ code, stdout, stderr })),
  );
}

function runClaude(current: ClaudeCodeJob, baseUrl: string): Promise<CliRun> {
  return collect(
    current.claude,
    ["-p", current.prompt, "--model", current.assistant, "--output-format", "json"],
    current.workDir,
    {
      PATH: process.env.PATH ?? "",
      HOME: current.workDir,
      ANTHROPIC_BASE_URL: baseUrl,
      ANTHROPIC_API_KEY: current.proxyKey,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    },
  );
}

async function runCodex(current: CodexJob, baseUrl: string): Promise<CodexReport["codex"]> {
  // A model provider for the gateway: Codex's own settings, written as it reads them.
  writeFileSync(
    join(current.codexHome, "config.toml"),
    [
      `model = "${current.assistant}"`,
      `model_provider = "aiproxy"`,
      `approval_policy = "never"`,
      `sandbox_mode = "danger-full-access"`,
      "",
      "[model_providers.aiproxy]",
      `name = "aiproxy"`,
      `base_url = "${baseUrl}"`,
      `env_key = "AIPROXY_API_KEY"`,
      `wire_api = "responses"`,
      "",
    ].join("\n"),
  );
  const lastPath = join(current.codexHome, "last-message.txt");
  const run = await collect(
    current.codex,
    [
      "exec",
      "--skip-git-repo-check",
      "-C",
      current.workDir,
      "--output-last-message",
      lastPath,
      current.prompt,
    ],
    current.workDir,
    {
      PATH: process.env.PATH ?? "",
      HOME: current.workDir,
      CODEX_HOME: current.codexHome,
      AIPROXY_API_KEY: current.proxyKey,
    },
  );
  let lastMessage = "";
  try {
    lastMessage = readFileSync(lastPath, "utf8");
  } catch {
    // Codex wrote none.
  }
  return { ...run, lastMessage };
}
