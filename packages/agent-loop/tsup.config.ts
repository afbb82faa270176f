import { packageBuild } from "../../tsup.shared.ts";

export default packageBuild([
  "src/index.ts",
  "src/openai/index.ts",
  "src/anthropic/index.ts",
  "src/responses/index.ts",
]);
