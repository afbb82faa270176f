import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * Tests import sibling packages from source, so `vitest` needs no prior build
 * and a stack trace points at the .ts file.
 */
function workspaceAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const dir of readdirSync(`${root}packages`)) {
    aliases[`@aiproxy/${dir}/openai`] = `${root}packages/${dir}/src/openai/index.ts`;
    aliases[`@aiproxy/${dir}/anthropic`] = `${root}packages/${dir}/src/anthropic/index.ts`;
    aliases[`@aiproxy/${dir}/responses`] = `${root}packages/${dir}/src/responses/index.ts`;
    aliases[`@aiproxy/${dir}`] = `${root}packages/${dir}/src/index.ts`;
  }
  return aliases;
}

export function packageTestConfig(overrides: { testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { alias: workspaceAliases() },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: overrides.testTimeout ?? 20_000,
      hookTimeout: 30_000,
      pool: "forks",
    },
  });
}
