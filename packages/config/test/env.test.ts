// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these tests are about.
import { describe, expect, it } from "vitest";
import { ConfigError, expandEnv } from "../src/index.js";

function problems(value: unknown, env: Record<string, string | undefined>) {
  try {
    expandEnv(value, env);
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true);
    return (error as ConfigError).issues;
  }
  throw new Error("expected a ConfigError");
}

describe("expandEnv", () => {
  it("replaces ${VAR} with its value, anywhere in a string", () => {
    expect(expandEnv("${A}", { A: "x" })).toBe("x");
    expect(expandEnv("Bearer ${TOKEN}!", { TOKEN: "t0k" })).toBe("Bearer t0k!");
    expect(expandEnv("${A}${B}-${A}", { A: "1", B: "2" })).toBe("12-1");
  });

  it("keeps a whole-string reference a string, even when it looks like a number", () => {
    expect(expandEnv({ port: "${PORT}" }, { PORT: "8000" })).toEqual({ port: "8000" });
  });

  it("uses the default of ${VAR:-default} when the variable is unset or empty", () => {
    expect(expandEnv("${A:-fallback}", {})).toBe("fallback");
    expect(expandEnv("${A:-fallback}", { A: "" })).toBe("fallback");
    expect(expandEnv("${A:-fallback}", { A: "set" })).toBe("set");
    expect(expandEnv("${URL:-http://h:1/p?q=a:b}", {})).toBe("http://h:1/p?q=a:b");
  });

  it("uses the default of ${VAR-default} only when the variable is unset", () => {
    expect(expandEnv("${A-fallback}", {})).toBe("fallback");
    expect(expandEnv("${A-fallback}", { A: "" })).toBe("");
  });

  it("allows an empty default", () => {
    expect(expandEnv("${A:-}", {})).toBe("");
    expect(expandEnv("key=${A:-}", {})).toBe("key=");
  });

  it("expands references inside a default, only when the default is used", () => {
    expect(expandEnv("${A:-${B}}", { B: "b" })).toBe("b");
    expect(expandEnv("${A:-${B:-c}/x}", {})).toBe("c/x");
    // B is unset but not needed: no problem.
    expect(expandEnv("${A:-${B}}", { A: "a" })).toBe("a");
  });

  it("an empty but set variable is not a problem", () => {
    expect(expandEnv("${A}", { A: "" })).toBe("");
  });

  it("expands strings nested in maps and lists, leaving keys and other values alone", () => {
    const input = {
      "${KEY}": "${V}",
      list: ["${V}", 1, true, null, { deep: ["x${V}y"] }],
      n: 3,
    };
    expect(expandEnv(input, { V: "v", KEY: "k" })).toEqual({
      "${KEY}": "v",
      list: ["v", 1, true, null, { deep: ["xvy"] }],
      n: 3,
    });
  });

  it("does not modify its input", () => {
    const input = { a: ["${V}"] };
    expandEnv(input, { V: "v" });
    expect(input).toEqual({ a: ["${V}"] });
  });

  it("$$ is a literal $, so $${VAR} is the literal text ${VAR}", () => {
    expect(expandEnv("$${HOME}", { HOME: "/root" })).toBe("${HOME}");
    expect(expandEnv("cost: $$5", {})).toBe("cost: $5");
    expect(expandEnv("$$$${A}", { A: "a" })).toBe("$${A}");
    expect(expandEnv("$$${A}", { A: "a" })).toBe("$a");
  });

  it("leaves a $ that starts no reference as it is", () => {
    expect(expandEnv("price $5, $HOME, a$", {})).toBe("price $5, $HOME, a$");
  });

  it("reports an unset variable with its path", () => {
    expect(problems({ backends: [{ api_key: "${OPENAI_API_KEY}" }] }, {})).toEqual([
      { path: "backends[0].api_key", message: "environment variable OPENAI_API_KEY is not set" },
    ]);
  });

  it("reports every unset variable at once", () => {
    const issues = problems({ a: "${X}", b: { c: ["${Y}", "${X:-ok}"] } }, {});
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "a: environment variable X is not set",
      "b.c[0]: environment variable Y is not set",
    ]);
  });

  it("lets an unset variable in proxy_api_keys become an empty string", () => {
    expect(expandEnv({ proxy_api_keys: ["${K1}", "k2"] }, {})).toEqual({
      proxy_api_keys: ["", "k2"],
    });
    expect(expandEnv({ proxy_api_keys: "${K1}" }, {})).toEqual({ proxy_api_keys: "" });
    // Only there: an admin key that is meant to be set must be set.
    expect(problems({ admin: { api_key: "${ADMIN_API_KEY}" } }, {})[0]?.path).toBe("admin.api_key");
  });

  it("reports a malformed or unterminated reference", () => {
    expect(problems({ a: "${1BAD}" }, {})[0]).toEqual({
      path: "a",
      message: 'invalid reference "${1BAD}": use ${VAR} or ${VAR:-default}',
    });
    expect(problems({ a: "${A:?x}" }, { A: "1" })[0]?.message).toContain("invalid reference");
    expect(problems({ a: "x ${OPEN" }, {})[0]?.message).toContain('unterminated "${"');
  });

  it("reads process.env by default", () => {
    process.env.AIPROXY_CONFIG_TEST_VAR = "from-process";
    try {
      expect(expandEnv("${AIPROXY_CONFIG_TEST_VAR}")).toBe("from-process");
    } finally {
      delete process.env.AIPROXY_CONFIG_TEST_VAR;
    }
  });
});
