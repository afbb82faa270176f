import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** This package's root, found by walking up: the depth differs between src/ and a bundled dist/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string };
      if (name === "@aiproxy/demo") return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("@aiproxy/demo: package root not found");
    dir = parent;
  }
}

/**
 * How to spawn the demo MCP server over stdio: the current Node running the
 * built `dist/mcp-server.js`. Works whether the package is consumed from
 * `dist` or from `src`, but needs a build either way.
 */
export function demoMcpServerCommand(): { command: string; args: string[] } {
  const script = join(packageRoot(), "dist", "mcp-server.js");
  if (!existsSync(script))
    throw new Error(
      `@aiproxy/demo: ${script} is missing; run \`pnpm --filter @aiproxy/demo build\``,
    );
  return { command: process.execPath, args: [script] };
}
