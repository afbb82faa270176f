/**
 * Runs inside a network namespace that has only loopback (the test starts
 * it as `unshare -n ... node codex-harness.ts <job.json>`): a scripted
 * OpenAI-wire upstream, the gateway in front of it, a recorder between
 * Codex and the gateway, and `codex exec` itself with a `config.toml` in a
 * temporary CODEX_HOME. Writes what everyone saw to the job's report file
 * and exits. Nothing here can reach another address.
 *
 * The scripted model: first it calls the assistant's MCP tool `demo__add`
 * (the gateway runs it), then, having its result, Codex's own shell tool
 * (`exec_command`, which Codex runs and returns as `function_call_output`),
 * and last it answers with both results.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type RecordedRequest, startScriptedUpstream, type Turn } from "@aiproxy/testkit";

// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON; read freely.
type Loose = Record<string, any>;

export interface CodexJob {
  codex: string;
  gatewayCli: string;
  mcpServer: string;
  /** Codex's HOME and working directory; holds the file its shell reads. */
  workDir: string;
  /** CODEX_HOME, where the harness writes `config.toml`. */
  codexHome: string;
  /** The file (a name inside `workDir`) the scripted model asks Codex's shell to print. */
  file: string;
  prompt: string;
  assistant: string;
  proxyKey: string;
  addends: { a: number; b: number };
  reportPath: string;
}

export interface CodexReport {
  codex: { code: number | null; stdout: string; stderr: string; lastMessage: string };
  /** What Codex sent the gateway, as it arrived, and the status it got. */
  clientRequests: Array<{
    method: string;
    path: string;
    headers: Record<string, string>;
    body: unknown;
    status?: number;
  }>;
  upstreamRequests: RecordedRequest[];
  gatewayOutput: string;
}

const job = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as CodexJob;
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
const codex = await runCodex(job, `${recorder.url}/v1`);
const report: CodexReport = {
  codex,
  clientRequests: recorder.requests,
  upstreamRequests: upstream.requests,
  gatewayOutput: gateway.output(),
};
writeFileSync(job.reportPath, JSON.stringify(report));
stopAll();
await upstream.close();
recorder.close();
process.exit(0);

function script(request: RecordedRequest, { file, addends }: CodexJob): Turn {
  const results = toolResults(request);
  const shell = results.find((r) => r.name === "exec_command");
  if (shell) {
    const sum = /the sum is (\d+)/i.exec(assistantText(request))?.[1] ?? "unknown";
    const token = /FILE-TOKEN-\w+/.exec(shell.text)?.[0] ?? "missing";
    return { text: `Done: the sum is ${sum} and the file says ${token}.` };
  }
  const add = results.find((r) => r.name === "demo__add");
  if (add)
    return {
      text: `The sum is ${add.text.trim()}. Now printing the file.`,
      toolCalls: [{ name: "exec_command", arguments: { cmd: `cat ${file}` } }],
    };
  return { toolCalls: [{ name: "demo__add", arguments: addends }] };
}

/** Every tool result in an OpenAI-wire transcript, with the name of the tool that made it. */
function toolResults(request: RecordedRequest): Array<{ name: string | undefined; text: string }> {
  const messages: Loose[] = request.body?.messages ?? [];
  const names = new Map<string, string>();
  const out: Array<{ name: string | undefined; text: string }> = [];
  for (const message of messages) {
    for (const call of (message.tool_calls as Loose[]) ?? [])
      names.set(call.id, call.function?.name);
    if (message.role === "tool")
      out.push({ name: names.get(String(message.tool_call_id)), text: textOf(message.content) });
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

async function startGateway(job: CodexJob, upstreamBase: string) {
  const config = {
    proxy_api_keys: [job.proxyKey],
    backends: [{ name: "up", kind: "openai", base_url: upstreamBase }],
    mcp_servers: [
      { name: "demo", transport: "stdio", command: process.execPath, args: [job.mcpServer] },
    ],
    assistants: [{ name: job.assistant, backend: "up", model: "scripted", mcp_servers: ["demo"] }],
  };
  const configPath = join(job.workDir, "..", "gateway.json");
  writeFileSync(configPath, JSON.stringify(config));
  const child = spawn(process.execPath, [job.gatewayCli, "--config", configPath, "--port", "0"], {
    env: { PATH: process.env.PATH ?? "", HOME: job.workDir, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
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

/** A pass-through proxy that keeps each request Codex sends, as it sent it, and the status it got. */
async function startRecorder(target: string) {
  const requests: CodexReport["clientRequests"] = [];
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
      const entry: CodexReport["clientRequests"][number] = {
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

function runCodex(job: CodexJob, baseUrl: string): Promise<CodexReport["codex"]> {
  // A model provider for the gateway: Codex's own settings, written as it reads them.
  writeFileSync(
    join(job.codexHome, "config.toml"),
    [
      `model = "${job.assistant}"`,
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
  const lastPath = join(job.codexHome, "last-message.txt");
  const child = spawn(
    job.codex,
    [
      "exec",
      "--skip-git-repo-check",
      "-C",
      job.workDir,
      "--output-last-message",
      lastPath,
      job.prompt,
    ],
    {
      cwd: job.workDir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: job.workDir,
        CODEX_HOME: job.codexHome,
        AIPROXY_API_KEY: job.proxyKey,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((resolve) =>
    child.once("close", (code) => {
      let lastMessage = "";
      try {
        lastMessage = readFileSync(lastPath, "utf8");
      } catch {
        // Codex wrote none.
      }
      resolve({ code, stdout, stderr, lastMessage });
    }),
  );
}
