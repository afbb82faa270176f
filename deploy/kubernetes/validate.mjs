#!/usr/bin/env node
// Checks every document of aiproxy.yaml against the Kubernetes JSON schemas
// shipped by the `kubernetes-models` npm package (installed anywhere):
//   npm install --prefix /tmp/k8s-models kubernetes-models@5.1.0 yaml@2.9.1
//   node deploy/kubernetes/validate.mjs /tmp/k8s-models
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.argv[2];
if (!dir)
  throw new Error("usage: validate.mjs <dir where kubernetes-models and yaml are installed>");
const load = (path) => import(pathToFileURL(join(dir, "node_modules", path)).href);
const { parseAllDocuments } = await load("yaml/dist/index.js");
const file = new URL("./aiproxy.yaml", import.meta.url);
let failed = 0;
for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
  const object = document.toJS();
  const [group, version] = object.apiVersion.includes("/")
    ? object.apiVersion.split("/")
    : [undefined, object.apiVersion];
  const models = await load(`kubernetes-models/${group ? `${group}/` : ""}${version}/index.js`);
  const Model = models[object.kind];
  const name = `${object.kind} ${object.metadata?.name}`;
  try {
    if (!Model) throw new Error(`no model for ${object.apiVersion} ${object.kind}`);
    new Model(object).validate();
    console.log(`ok    ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL  ${name}: ${error.message}`);
  }
}
process.exit(failed ? 1 : 0);
