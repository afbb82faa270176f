import { defineConfig, type Options } from "tsup";

/**
 * The one build every package shares: ESM with declarations and source maps,
 * for the oldest Node the packages support. A package names only its entries,
 * and the declaration entries when some entries are scripts (spawned, not imported).
 */
export function packageBuild(entry: string[], dtsEntry?: string[]) {
  const options: Options = {
    entry,
    format: ["esm"],
    dts: dtsEntry ? { entry: dtsEntry } : true,
    clean: true,
    sourcemap: true,
    target: "node22",
  };
  return defineConfig(options);
}
