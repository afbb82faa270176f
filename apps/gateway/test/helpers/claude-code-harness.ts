/**
 * Runs inside a network namespace that has only loopback (the test starts
 * it as `unshare -n ... node claude-code-harness.ts <job.json>`): a scripted
 * upstream, the gateway in front of it, a recorder between Claude Code and
 * the gateway, and Claude Code itself. Writes what everyone saw to the
 * job's report file and exits. Nothing here can reach another address.
 *
 * The scripted model: first it calls the assistant's MCP tool `demo__add`
 * (the gateway runs it), then, having its result, Claude Code's own `Read`
 * of a file (Claude Code runs it), and last it answers with both results.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type RecordedRequest, startScriptedUpstream, type Turn } from "@aiproxy/testkit";

// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON of either wire; read freely.
type Loose = Record<string, any>;

export interface HarnessJob {
  wire: "anthropic" | "openai";
  claude: string;
  gatewayCli: string;
  mcpServer: string;
  /** Claude Code's HOME and working directory; holds the file it reads. */
  workDir: string;
  /** The file Claude Code is asked to `Read`, inside `workDir`. */
  file: string;
  prompt: string;
  /** The assistant's name (Claude Code's `--model`) and the gateway key it sends. */
  assistant: string;
  proxyKey: string;
  /** What the scripted model asks the MCP `add` tool to add. */
  addends: { a: number; b: number };
  reportPath: string;
}

export interface HarnessReport {
  claude: { code: number | null; stdout: string; stderr: string };
  /** What Claude Code sent the gateway, as it arrived. */
  clientRequests: Array<{ path: string; headers: Record<string, string>; body: unknown }>;
  upstreamRequests: RecordedRequest[];
  gatewayOutput: string;
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
const gateway = await startGateway(job, upstream.url);
const recorder = await startRecorder(gateway.url);
const claude = await runClaude(job, recorder.url);
const report: HarnessReport = {
  claude,
  clientRequests: recorder.requests,
  upstreamRequests: upstream.requests,
  gatewayOutput: gateway.output(),
};
writeFileSync(job.reportPath, JSON.stringify(report));
stopAll();
await upstream.close();
recorder.close();
process.exit(0);

function script(request: RecordedRequest, { file, addends }: HarnessJob): Turn {
  const results = toolResults(request);
  const read = results.find((r) => r.name === "Read");
  if (read) {
    const sum = /the sum is (\d+)/i.exec(assistantText(request))?.[1] ?? "unknown";
    const line = /FILE-TOKEN-\w+/.exec(read.text)?.[0] ?? "missing";
    return { text: `Done: the sum is ${sum} and the file says ${line}.` };
  }
  const add = results.find((r) => r.name === "demo__add");
  if (add)
    return {
      text: `The sum is ${add.text.trim()}. Now reading the file.`,
      toolCalls: [{ name: "Read", arguments: { file_path: file } }],
    };
  return { toolCalls: [{ name: "demo__add", arguments: addends }] };
}

/** Every tool result in the transcript, either wire, with the name of the tool that made it. */
function toolResults(request: RecordedRequest): Array<{ name: string | undefined; text: string }> {
  const messages: Array<Record<string, unknown>> = request.body?.messages ?? [];
  const names = new Map<string, string>();
  const out: Array<{ name: string | undefined; text: string }> = [];
  for (const message of messages) {
    for (const call of (message.tool_calls as Array<Loose>) ?? [])
      names.set(call.id, call.function?.name);
    if (message.role === "tool")
      out.push({ name: names.get(String(message.tool_call_id)), text: textOf(message.content) });
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content as Array<Loose>) {
      if (block.type === "tool_use") names.set(block.id, block.name);
      if (block.type === "tool_result")
        out.push({ name: names.get(block.tool_use_id), text: textOf(block.content) });
    }
  }
  return out;
}

function assistantText(request: RecordedRequest): string {
  const messages: Array<Record<string, unknown>> = request.body?.messages ?? [];
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

async function startGateway(job: HarnessJob, upstreamUrl: string) {
  const config = {
    proxy_api_keys: [job.proxyKey],
    backends: [
      job.wire === "anthropic"
        ? { name: "up", kind: "anthropic", base_url: `${upstreamUrl}/v1` }
        : { name: "up", kind: "openai", base_url: `${upstreamUrl}/v1` },
    ],
    mcp_servers: [
      { name: "demo", transport: "stdio", command: process.execPath, args: [job.mcpServer] },
    ],
    assistants: [{ name: job.assistant, backend: "up", model: "scripted", mcp_servers: ["demo"] }],
  };
  const configPath = join(job.workDir, "gateway.json");
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

/** A pass-through proxy that keeps each request Claude Code sends, as it sent it. */
async function startRecorder(target: string) {
  const requests: HarnessReport["clientRequests"] = [];
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
      requests.push({ path: req.url ?? "", headers: req.headers as Record<string, string>, body });
      const forward = httpRequest(
        new URL(req.url ?? "/", target),
        { method: req.method, headers: req.headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => server.close(),
  };
}

function runClaude(job: HarnessJob, baseUrl: string): Promise<HarnessReport["claude"]> {
  const child = spawn(
    job.claude,
    ["-p", job.prompt, "--model", job.assistant, "--output-format", "json"],
    {
      cwd: job.workDir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: job.workDir,
        ANTHROPIC_BASE_URL: baseUrl,
        ANTHROPIC_API_KEY: job.proxyKey,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
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
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}
