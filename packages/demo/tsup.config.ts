import { defineConfig } from "tsup";

export default defineConfig({
  // The demo MCP server is an entry of its own so it can be spawned as a script.
  entry: ["src/index.ts", "src/mcp-server.ts"],
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  clean: true,
  sourcemap: true,
  target: "node20",
});
