import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedGateway } from "./helpers/in-process.js";

/**
 * The MCP conformance suite (`@modelcontextprotocol/conformance` 0.1.16, the
 * newest that starts on Node 24 here; `conformance server --url .../mcp`)
 * against `/mcp`, with server-everything behind it. Every scenario is
 * listed below: those that pass must keep passing, and each that cannot
 * apply to an aggregating gateway says why.
 */

const bin = (name: string) => join(import.meta.dirname, "..", "node_modules", ".bin", name);

const PASSING = [
  "server-initialize",
  "logging-set-level",
  "ping",
  "tools-list",
  "resources-list",
  "prompts-list",
  "server-sse-multiple-streams",
  "dns-rebinding-protection",
];

/**
 * The suite's scenarios call fixtures of its own reference server by exact
 * name (`test_simple_text`, `test_simple_prompt`, `test://static-text`...).
 * The gateway serves what its MCP servers offer, under `<server>__<name>`
 * and `aiproxy://<server>/<uri>`, so those names never exist here; the same
 * behaviours are tested against real servers in mcp-endpoint.test.ts.
 */
const FIXTURE_NAMES =
  "calls a fixture of the suite's own server by exact name; the gateway namespaces every name (see mcp-endpoint.test.ts for the behaviour)";
const NOT_APPLICABLE: Record<string, string> = {
  "tools-call-simple-text": FIXTURE_NAMES,
  "tools-call-image": FIXTURE_NAMES,
  "tools-call-audio": FIXTURE_NAMES,
  "tools-call-embedded-resource": FIXTURE_NAMES,
  "tools-call-mixed-content": FIXTURE_NAMES,
  "tools-call-with-logging": FIXTURE_NAMES,
  "tools-call-error": FIXTURE_NAMES,
  "tools-call-with-progress": FIXTURE_NAMES,
  "tools-call-sampling":
    "a fixture tool by name; and the gateway does not relay sampling/createMessage from the servers behind to the client",
  "tools-call-elicitation":
    "a fixture tool by name; and the gateway does not relay elicitation/create from the servers behind to the client",
  "elicitation-sep1034-defaults": "a fixture tool by name; elicitation is not relayed",
  "elicitation-sep1330-enums": "a fixture tool by name; elicitation is not relayed",
  "resources-read-text": FIXTURE_NAMES,
  "resources-read-binary": FIXTURE_NAMES,
  "resources-templates-read": FIXTURE_NAMES,
  "prompts-get-simple": FIXTURE_NAMES,
  "prompts-get-with-args": FIXTURE_NAMES,
  "prompts-get-embedded-resource": FIXTURE_NAMES,
  "prompts-get-with-image": FIXTURE_NAMES,
  "resources-subscribe":
    "resource subscriptions would have to be held open on every server behind per client session; not offered (no `subscribe` capability)",
  "resources-unsubscribe": "as resources-subscribe",
  "completion-complete":
    "completions are not aggregated (no `completions` capability); its reference prompt is a fixture of the suite's server",
};

let served: Awaited<ReturnType<typeof servedGateway>>;

beforeAll(async () => {
  served = await servedGateway({
    backends: [{ name: "d", kind: "demo" }],
    mcp_servers: [
      { name: "everything", transport: "stdio", command: bin("mcp-server-everything") },
    ],
  });
}, 60_000);

afterAll(async () => {
  await served?.close();
});

function conformance(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin("conformance"), args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("MCP conformance suite against /mcp", () => {
  it("passes every scenario that applies to an aggregating gateway", async () => {
    const out = mkdtempSync(join(tmpdir(), "aiproxy-conformance-"));
    const { output } = await conformance(["server", "--url", `${served.url}/mcp`, "-o", out]);
    const results = new Map<string, string[]>();
    for (const dir of readdirSync(out)) {
      const scenario = dir.replace(/^server-/, "").replace(/-\d{4}-\d\d-\d\dT.*$/, "");
      const checks = JSON.parse(readFileSync(join(out, dir, "checks.json"), "utf8")) as Array<{
        name?: string;
        status: string;
        errorMessage?: string;
      }>;
      results.set(
        scenario,
        checks
          .filter((c) => c.status !== "SUCCESS" && c.status !== "INFO")
          .map((c) => `${c.name}: ${c.errorMessage ?? c.status}`),
      );
    }
    // Every scenario the suite ran is accounted for, so a new one is noticed.
    expect([...results.keys()].sort(), output.slice(-3000)).toEqual(
      [...PASSING, ...Object.keys(NOT_APPLICABLE)].sort(),
    );
    for (const scenario of PASSING) expect(results.get(scenario), scenario).toEqual([]);
    // Those that cannot apply fail for the reason given, not something else.
    for (const scenario of Object.keys(NOT_APPLICABLE))
      expect(results.get(scenario)?.length, scenario).toBeGreaterThan(0);
  }, 300_000);
});
