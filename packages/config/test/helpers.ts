import { expect } from "vitest";
import { ConfigError, type ConfigIssue, type ParseOptions, parseConfig } from "../src/index.js";

/** The issues parseConfig reports for `source`; fails the test when it does not throw. */
export function issuesOf(source: unknown, options: ParseOptions = { env: {} }): ConfigIssue[] {
  try {
    parseConfig(source, options);
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true);
    return (error as ConfigError).issues;
  }
  throw new Error("expected a ConfigError");
}

/** The issues as `path: message` lines, for compact assertions. */
export function linesOf(source: unknown, options?: ParseOptions): string[] {
  return issuesOf(source, options).map(({ path, message }) =>
    path ? `${path}: ${message}` : message,
  );
}

export const minimal = {
  backends: [{ name: "demo", kind: "demo" }],
  assistants: [{ name: "a", backend: "demo", model: "m" }],
};
