// The gateway under test, embedded the way an app would: createGateway +
// serveGateway with request logging off. Usage: node gateway.mjs <config.json>
import { readFileSync } from "node:fs";
import { parseConfig } from "@aiproxy/config";
import { createGateway, serveGateway } from "@aiproxy/gateway";

const file = process.argv[2];
if (!file) throw new Error("usage: gateway.mjs <config.json>");
const config = parseConfig(JSON.parse(readFileSync(file, "utf8")), { env: {} });
const gateway = await createGateway(config, { host: "127.0.0.1" });
const running = await serveGateway(gateway, { host: "127.0.0.1", port: 0, shutdownGraceMs: 1000 });
process.stdout.write(`${JSON.stringify({ ready: true, url: running.url })}\n`);
const stop = () => running.shutdown().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
