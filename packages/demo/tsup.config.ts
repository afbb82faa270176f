import { packageBuild } from "../../tsup.shared.ts";

// The demo MCP server is an entry of its own so it can be spawned as a script.
export default packageBuild(["src/index.ts", "src/mcp-server.ts"], ["src/index.ts"]);
