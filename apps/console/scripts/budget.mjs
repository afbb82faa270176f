// The first load (index.html and every script and stylesheet it names) must
// stay under 150 KB gzipped; the build fails when it does not.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 150 * 1024;
const dist = join(import.meta.dirname, "..", "dist");
const html = readFileSync(join(dist, "index.html"));
const assets = [...html.toString().matchAll(/(?:src|href)="\.\/([^"]+\.(?:js|css))"/g)].map(
  (m) => m[1],
);
let total = gzipSync(html).length;
for (const asset of assets) total += gzipSync(readFileSync(join(dist, asset))).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `console first load: ${kb(total)} gzipped (${assets.length + 1} files), budget ${kb(BUDGET)}`,
);
if (assets.length === 0) {
  console.error("budget: index.html names no script; is the build broken?");
  process.exit(1);
}
if (total > BUDGET) {
  console.error(`budget: the first load is over ${kb(BUDGET)}`);
  process.exit(1);
}
