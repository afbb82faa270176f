// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what one test is about.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REDACTED } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import {
  assistantSchema,
  ConfigError,
  expandEnv,
  loadConfig,
  parseConfig,
  redact,
  toConfigIssue,
} from "../src/index.js";
import { issuesOf } from "./helpers.js";

const DEEP = 5000;

/** `{a: {a: ... {leaf} }}`, `levels` objects deep, built without recursion. */
function nested(levels: number, leaf: Record<string, unknown> = { end: true }) {
  let value: Record<string, unknown> = leaf;
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

const head =
  "backends: [{name: demo, kind: demo}]\nassistants:\n  - name: a\n    backend: demo\n    model: m\n    extra_body:\n";

function blockYaml(levels: number): string {
  let text = head;
  for (let i = 0; i < levels; i++) text += `${"  ".repeat(i + 3)}a:\n`;
  return `${text}${"  ".repeat(levels + 3)}end: true\n`;
}

function flowYaml(levels: number): string {
  return `${head}      ${"{a: ".repeat(levels)}1${"}".repeat(levels)}\n`;
}

async function loadIssues(text: string) {
  const file = join(mkdtempSync(join(tmpdir(), "aiproxy-depth-")), "config.yaml");
  writeFileSync(file, text);
  const error = await loadConfig(file, { env: {} }).catch((e: unknown) => e);
  expect(ConfigError.isInstance(error)).toBe(true);
  return (error as ConfigError).issues;
}

describe("nesting depth", () => {
  it("a config file nested 5,000 levels is one problem at its YAML path, block or flow style", async () => {
    for (const text of [blockYaml(DEEP), flowYaml(DEEP)]) {
      const issues = await loadIssues(text);
      expect(issues).toHaveLength(1);
      expect(issues[0]?.path).toMatch(/^assistants\[0\]\.extra_body(\.a)+/);
      expect(issues[0]?.message).toBe("nested more than 72 levels deep");
    }
  });

  it("free-form values may nest 64 levels; the 65th is refused at the setting, naming where", () => {
    expect(parseConfig(blockYaml(63), { env: {} }).assistants.a?.extra_body).toBeDefined();
    expect(issuesOf(blockYaml(64))).toEqual([
      {
        path: "assistants[0].extra_body",
        message: `nested more than 64 levels deep (at $${".a".repeat(64)})`,
      },
    ]);
  });

  it("an admin-shaped body nested 5,000 levels is a problem at its field, not a crash", () => {
    for (const field of ["extra_body", "tool_arguments"] as const) {
      const body = { backend: "b", model: "m", [field]: { t: nested(DEEP) } };
      const result = assistantSchema.safeParse({ name: "a", ...body }, { reportInput: true });
      expect(result.success).toBe(false);
      const issues = result.error?.issues.map((issue) => toConfigIssue(issue, body)) ?? [];
      expect(issues).toHaveLength(1);
      expect(issues[0]?.path).toBe(field);
      expect(issues[0]?.message).toMatch(/^nested more than 64 levels deep \(at \$\.t\.a\.a/);
    }
    const deepFormat = {
      backend: "b",
      model: "m",
      response_format: { type: "x", s: nested(DEEP) },
    };
    expect(assistantSchema.safeParse({ name: "a", ...deepFormat }).success).toBe(false);
  });

  it("a whole config value nested 5,000 levels names the assistant's setting", () => {
    expect(
      issuesOf({
        backends: [{ name: "demo", kind: "demo" }],
        assistants: { a: { backend: "demo", model: "m", tool_arguments: { t: nested(DEEP) } } },
      }).map((issue) => issue.path),
    ).toEqual(["assistants.a.tool_arguments"]);
  });

  it("redact() copies a 5,000-deep value and still hides a secret at the bottom", () => {
    const deep = nested(DEEP, { token: "sk-deep", note: "visible" });
    const safe = redact({
      assistants: { a: { name: "a", extra_body: deep, tool_arguments: { t: deep } } },
    });
    let extra = safe.assistants.a.extra_body as Record<string, unknown>;
    let pinned = safe.assistants.a.tool_arguments.t as Record<string, unknown>;
    for (let i = 1; i < DEEP; i++) {
      extra = extra.a as Record<string, unknown>;
      pinned = pinned.a as Record<string, unknown>;
    }
    // extra_body is sent to the provider as is; pinned arguments hide credential-like keys.
    expect(extra).toEqual({ token: "sk-deep", note: "visible" });
    expect(pinned).toEqual({ token: REDACTED, note: "visible" });
  });

  it("${VAR} expansion walks a 5,000-deep value and names an unset variable's path", () => {
    let expanded = expandEnv(nested(DEEP, { v: "${SET}" }), { SET: "ok" }) as Record<
      string,
      unknown
    >;
    for (let i = 1; i < DEEP; i++) expanded = expanded.a as Record<string, unknown>;
    expect(expanded).toEqual({ v: "ok" });
    expect(() => expandEnv(nested(3, { v: "${UNSET}" }), {})).toThrow(
      "a.a.v: environment variable UNSET is not set",
    );
  });
});
