import { packageBuild } from "../../tsup.shared.ts";

// The MCP test servers under src/mcp/ are entries of their own so they can be spawned as scripts.
export default packageBuild(["src/index.ts", "src/mcp/*.ts", "!src/mcp/*.test.ts"]);
