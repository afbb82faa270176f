import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type RecordedRequest,
  type ScriptedUpstream,
  startScriptedUpstream,
  type Turn,
  trailingToolResults,
} from "@aiproxy/testkit";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayProcess, REPO_ROOT, startGatewayProcess } from "./helpers/gateway-process.js";

/**
 * The console in a real browser (Debian's chromium, driven by playwright-core)
 * against the built gateway on a scripted upstream, with the demo MCP server
 * added from the console itself. Screenshots land in test/results/console/
 * (git-ignored); axe-core checks every page.
 */

const CHROMIUM = "/usr/bin/chromium";
// CI installs chromium (.ci/run); elsewhere the tests are skipped without it.
const runs = existsSync(CHROMIUM) || process.env.CI !== undefined;
const ADMIN = "admin-key-browser";
const DEMO_MCP = join(REPO_ROOT, "packages", "demo", "dist", "mcp-server.js");
const SHOTS = join(import.meta.dirname, "results", "console");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

function lastUser(request: RecordedRequest): string {
  const messages = request.body.messages as { role: string; content: unknown }[];
  const user = messages.filter((m) => m.role === "user").at(-1);
  return typeof user?.content === "string" ? user.content : "";
}

/**
 * `weather` → one get_weather round, then an answer; `stall` → some text, then
 * nothing. The deciding model (`gpt-decider`) proposes get_weather with a
 * confidence, then declines once it has the result.
 */
function upstreamTurn(request: RecordedRequest): Turn {
  if (request.body.model === "gpt-decider")
    return trailingToolResults(request).length > 0
      ? { text: "", topLevel: { x_needle: { confidence: 0.1 } } }
      : {
          toolCalls: [{ name: "demo__get_weather", arguments: { city: "Oslo" } }],
          topLevel: { x_needle: { confidence: 0.92 } },
        };
  const said = lastUser(request);
  const answered = JSON.stringify(request.body.messages).includes('"role":"tool"');
  const usage = { promptTokens: 40, completionTokens: 6 };
  if (said.includes("weather") && !answered)
    return { toolCalls: [{ name: "demo__get_weather", arguments: { city: "Paris" } }], usage };
  if (said.includes("weather")) return { text: "It is mild in Paris today.", usage };
  if (said.includes("stall"))
    return { text: "This answer starts streaming and then", stallAfterChunks: 3, usage };
  return { text: "Hello from the scripted upstream.", usage };
}

/** A port nothing listens on: the upstream of the "offline" backend. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let upstream: ScriptedUpstream;
let gateway: GatewayProcess;
let context: BrowserContext;
let page: Page;
let profile: string;
const cspViolations: string[] = [];
const pageErrors: string[] = [];

async function shot(name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** axe-core in the page; evaluated over the DevTools protocol, which the page's CSP does not govern. */
async function seriousViolations(): Promise<string[]> {
  await page.evaluate(AXE);
  const results = (await page.evaluate(() =>
    (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run(),
  )) as {
    violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  };
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    );
}

async function go(route: string, heading: string) {
  await page.goto(`${gateway.url}/ui/#/${route}`);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

beforeAll(async () => {
  if (!runs) return;
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  upstream = await startScriptedUpstream({ fallback: upstreamTurn });
  gateway = await startGatewayProcess({
    config: {
      backends: [
        { name: "main", kind: "openai", base_url: upstream.openaiBaseUrl, api_key: "sk-main" },
        {
          name: "offline",
          kind: "openai",
          base_url: `http://127.0.0.1:${await closedPort()}/v1`,
          api_key: "sk-off",
          max_retries: 0,
        },
      ],
      assistants: [
        { name: "plain", backend: "main", model: "gpt-main" },
        { name: "unreachable", backend: "offline", model: "gpt-off" },
      ],
    },
    env: { ADMIN_API_KEY: ADMIN },
  });
  profile = mkdtempSync(join(tmpdir(), "aiproxy-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 860 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on("pageerror", (error) => pageErrors.push(String(error)));
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await gateway?.stop();
  await upstream?.close();
});

describe.runIf(runs)("the console in Chromium", { timeout: 120_000 }, () => {
  it("asks for the admin key, says why a wrong one fails, and keeps it out of cookies and URLs", async () => {
    const response = await page.goto(`${gateway.url}/ui/`);
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'self'");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await seriousViolations()).toEqual([]);
    await page.getByLabel("Admin key").fill("not-the-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "401" }).waitFor();
    await shot("sign-in-refused");
    await page.getByLabel("Admin key").fill(ADMIN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.getByRole("link", { name: "plain" }).first().waitFor();
    expect(await context.cookies()).toEqual([]);
    expect(page.url()).not.toContain(ADMIN);
    expect(await page.evaluate(() => sessionStorage.getItem("aiproxy.adminKey"))).toBe(ADMIN);
    expect(await seriousViolations()).toEqual([]);
  });

  it("shows a 422 problem beside the field it names", async () => {
    await go("edit/mcp", "Edit");
    await page.getByLabel("Name", { exact: true }).fill("broken");
    await page.getByLabel("Transport").selectOption("stdio");
    await page.getByRole("button", { name: "Save MCP server" }).click();
    const fieldError = page.locator('[data-field="command"] .field-error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toMatch(/\S/);
    expect(await page.getByLabel("Command (stdio)").getAttribute("aria-invalid")).toBe("true");
    await shot("edit-validation");
    expect(await seriousViolations()).toEqual([]);
  });

  it("adds an MCP server and shows its tools, their schemas, and a tool called from its form", async () => {
    await go("edit/mcp", "Edit");
    await page.getByLabel("Name", { exact: true }).fill("demo");
    await page.getByLabel("Transport").selectOption("stdio");
    await page.getByLabel("Command (stdio)").fill(process.execPath);
    await page.getByLabel("Arguments (stdio)").fill(DEMO_MCP);
    await page.getByRole("button", { name: "Save MCP server" }).click();
    await page.getByRole("status").filter({ hasText: "Saved MCP server demo" }).waitFor();

    await go("mcp/demo", "MCP server demo");
    const add = page.locator('details[data-tool="add"]');
    await add.waitFor();
    await add.locator("summary").click();
    await expect.poll(() => add.locator("pre.schema").textContent()).toContain('"a"');
    await add.getByLabel(/^a \*/).fill("2");
    await add.getByLabel(/^b \*/).fill("40");
    await add.getByRole("button", { name: "Call add" }).click();
    await add.locator(".tool-result").filter({ hasText: "42" }).waitFor();
    await shot("mcp-server");
    expect(await seriousViolations()).toEqual([]);
  });

  it("creates an assistant, chats with it streamed, and shows the tool round inline", async () => {
    await go("edit/assistants", "Edit");
    await page.getByLabel("Name", { exact: true }).fill("weather");
    await page.getByLabel("Backend", { exact: true }).fill("main");
    await page.getByLabel("Model", { exact: true }).fill("gpt-main");
    await page.getByLabel("MCP servers").fill("demo");
    await page.getByLabel("Show tool activity in streamed chat").check();
    await page.getByRole("button", { name: "Save assistant" }).click();
    await page.getByRole("status").filter({ hasText: "Saved assistant weather" }).waitFor();

    await go("playground/weather", "Playground");
    await page.getByLabel(/^Message/).fill("What is the weather in Paris?");
    await page.getByRole("button", { name: "Send" }).click();
    const card = page.locator('.tool-card[data-tool="demo__get_weather"]');
    await card.locator("pre.result").waitFor();
    expect(await card.locator("pre.args").textContent()).toContain("Paris");
    await page.locator(".message.assistant .text").filter({ hasText: "mild in Paris" }).waitFor();
    await page.locator(".message.assistant .usage").waitFor();
    await shot("playground");
    expect(await seriousViolations()).toEqual([]);
  });

  it("re-saves a backend without its key shown, and the stored key is kept", async () => {
    await go("edit/backends/main", "Edit");
    const baseUrl = page.getByLabel("Base URL");
    await expect.poll(() => baseUrl.inputValue()).toBe(upstream.openaiBaseUrl);
    expect(await page.getByLabel("API key").inputValue()).toBe("");
    await page.getByRole("button", { name: "Save backend" }).click();
    await page.getByRole("status").filter({ hasText: "Saved backend main" }).waitFor();
    const before = upstream.requests.length;
    const answer = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "plain", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(answer.status).toBe(200);
    expect(upstream.requests.length).toBe(before + 1);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe("Bearer sk-main");
  });

  it("shows a two-model assistant's decisions and confidences", async () => {
    const created = await fetch(`${gateway.url}/admin/assistants/twomodel`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({
        backend: "main",
        model: "gpt-main",
        tool_backend: "main",
        tool_model: "gpt-decider",
        mcp_servers: ["demo"],
        tool_activity: true,
      }),
    });
    expect(created.status).toBe(201);
    await go("playground/twomodel", "Playground");
    await page.getByLabel(/^Message/).fill("decide for me");
    await page.getByRole("button", { name: "Send" }).click();
    const decisions = page.locator(".message.assistant .decisions");
    await decisions.filter({ hasText: "confidence 0.92" }).waitFor();
    expect(await decisions.textContent()).toContain("demo__get_weather");
    await shot("playground-two-model");
    expect(await seriousViolations()).toEqual([]);
  });

  it("explains a 409 when deleting a server an assistant uses", async () => {
    await go("edit/mcp", "Edit");
    await page.getByRole("button", { name: "Delete demo" }).click();
    await page.getByRole("alert").filter({ hasText: "still in use" }).waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("weather");
  });

  it("shows an unreachable upstream in words", async () => {
    await go("playground/unreachable", "Playground");
    await page.getByLabel(/^Message/).fill("hello");
    await page.getByRole("button", { name: "Send" }).click();
    const error = page.locator(".message.assistant .problem");
    await error.waitFor();
    expect(await error.textContent()).toMatch(/\w{4,}/);
    await shot("playground-upstream-down");
  });

  it("tails requests live, filters them, and opens one to its steps", async () => {
    await go("requests", "Requests");
    await page.getByText("Live: new requests appear").waitFor();
    const line = page.locator(".request-lines li").filter({ hasText: "weather" }).first();
    await line.waitFor();
    await page.getByLabel("Status").selectOption("error");
    await page.locator(".request-lines li").filter({ hasText: "unreachable" }).first().waitFor();
    expect(await page.locator(".request-lines li").filter({ hasText: "weather" }).count()).toBe(0);
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Assistant").selectOption("weather");
    await line.locator("summary").click();
    await line.locator(".steps > li").filter({ hasText: "demo__get_weather" }).waitFor();
    await shot("requests");
    expect(await seriousViolations()).toEqual([]);
  });

  it("draws the overview from the admin API and the gateway's metrics", async () => {
    const firstScrape = page.waitForResponse((r) => r.url().endsWith("/metrics") && r.ok());
    await go("overview", "Overview");
    await page.getByRole("link", { name: "demo" }).waitFor();
    await firstScrape;
    for (const content of ["one", "two", "three"])
      expect(
        (
          await fetch(`${gateway.url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ model: "plain", messages: [{ role: "user", content }] }),
          })
        ).status,
      ).toBe(200);
    // The next scrape shows them as a rate.
    await page
      .locator(".chart figcaption")
      .filter({ hasText: /^Requests: (?!0\.00)\d/ })
      .waitFor({ timeout: 20_000 });
    await page
      .locator(".chart figcaption")
      .filter({ hasText: /^Tokens: (?!0\.00)\d/ })
      .waitFor();
    await shot("overview");
    expect(await seriousViolations()).toEqual([]);
  });

  it("ends a streamed message with a visible error when the connection drops", async () => {
    await go("playground/plain", "Playground");
    await page.getByLabel(/^Message/).fill("please stall");
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator(".message.assistant .text").filter({ hasText: "This" }).waitFor();
    await gateway.stop("SIGKILL");
    const error = page.locator(".message.assistant .problem");
    await error.waitFor();
    expect(await error.textContent()).toMatch(/dropped|ended before/);
    await shot("playground-dropped");
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
