import { packageBuild } from "../../tsup.shared.ts";

// The CLI is an entry of its own: a script, not part of the typed API.
export default packageBuild(["src/index.ts", "src/cli.ts"], ["src/index.ts"]);
