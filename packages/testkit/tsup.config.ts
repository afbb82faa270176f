import { defineConfig } from "tsup";

export default defineConfig({
  // The MCP test servers under src/mcp/ are entries of their own so they can be spawned as scripts.
  entry: ["src/index.ts", "src/mcp/*.ts", "!src/mcp/*.test.ts"],
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
});
