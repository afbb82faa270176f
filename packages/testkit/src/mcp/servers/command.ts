import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { demoMcpServerCommand } from "@aiproxy/demo";

const SCRIPTS = { faults: "fault-server.js" } as const;

/** `demo` is the product's own demo server, from `@aiproxy/demo`; the rest live here. */
export type McpTestServerName = "demo" | keyof typeof SCRIPTS;

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
 * running the built script in `dist/mcp/` (or `@aiproxy/demo`'s for `demo`).
 * Works whether the testkit is consumed from `dist` or from `src`, but needs
 * a build either way (`pnpm --filter @aiproxy/testkit... build`).
 */
export function mcpTestServerCommand(name: McpTestServerName): { command: string; args: string[] } {
  if (name === "demo") return demoMcpServerCommand();
  const script = join(packageRoot(), "dist", "mcp", SCRIPTS[name]);
  if (!existsSync(script)) {
    throw new Error(
      `@aiproxy/testkit: ${script} is missing; run \`pnpm --filter @aiproxy/testkit build\``,
    );
  }
  return { command: process.execPath, args: [script] };
}
