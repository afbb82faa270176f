import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SCRIPTS = { demo: "demo-server.js", faults: "fault-server.js" } as const;

export type McpTestServerName = keyof typeof SCRIPTS;

/** This package's root, found by walking up: the depth differs between src/ and a bundled dist/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string };
      if (name === "@aiproxy/testkit") return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("@aiproxy/testkit: package root not found");
    dir = parent;
  }
}

/**
 * How to spawn one of the testkit's stdio MCP servers: the current Node
 * running the built script in `dist/mcp/`. Works whether the testkit is
 * consumed from `dist` or from `src`, but needs a build either way
 * (`pnpm --filter @aiproxy/testkit build`).
 */
export function mcpTestServerCommand(name: McpTestServerName): { command: string; args: string[] } {
  const script = join(packageRoot(), "dist", "mcp", SCRIPTS[name]);
  if (!existsSync(script)) {
    throw new Error(
      `@aiproxy/testkit: ${script} is missing; run \`pnpm --filter @aiproxy/testkit build\``,
    );
  }
  return { command: process.execPath, args: [script] };
}
