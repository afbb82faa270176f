import { readFileSync } from "node:fs";

/**
 * The gateway's version, from its package.json: one source for `--version`
 * and `GET /`. Read at run time, since src/ and dist/ both sit one level
 * below the package root (and the Docker image keeps package.json beside dist/).
 */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;
