import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * How to spawn a package's built script over stdio: the current Node running
 * `dist/<script>` below the package named `packageName`, found by walking up
 * from `from` (the caller's `import.meta.url`; the depth differs between src/
 * and a bundled dist/). Works whether the package is consumed from `dist` or
 * from `src`, but needs a build either way.
 */
export function builtScriptCommand(
  packageName: string,
  from: string,
  script: string,
): { command: string; args: string[] } {
  const path = join(packageRoot(packageName, from), "dist", script);
  if (!existsSync(path)) {
    throw new Error(
      `${packageName}: ${path} is missing; run \`pnpm --filter ${packageName} build\``,
    );
  }
  return { command: process.execPath, args: [path] };
}

function packageRoot(packageName: string, from: string): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string };
      if (name === packageName) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${packageName}: package root not found`);
    dir = parent;
  }
}
