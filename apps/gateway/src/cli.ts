#!/usr/bin/env node
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "@aiproxy/config";
import { pino } from "pino";
import { createGateway } from "./gateway.js";
import { serveGateway } from "./server.js";
import { VERSION } from "./version.js";

const USAGE = `Usage: aiproxy [--config config.yaml] [--port 8000] [--host 127.0.0.1] [--allow-open]

  -c, --config      config file (env CONFIG_PATH; default ./config.yaml)
  -p, --port        port to listen on, 0 for any free one (env PORT)
      --host        address to listen on (env HOST; default 127.0.0.1)
      --allow-open  serve /v1 without credentials on a non-loopback address (env AIPROXY_ALLOW_OPEN=true)
  -h, --help        print this help
  -v, --version     print the version

Environment: ADMIN_API_KEY, LOG_LEVEL, CORS_ORIGINS (comma-separated); .env.example lists them all.`;

const OPTIONS = {
  config: { type: "string", short: "c" },
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "allow-open": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

const parseFlags = () => parseArgs({ options: OPTIONS, strict: true }).values;

async function main(): Promise<number> {
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags();
  } catch (error) {
    // Node's message names the option at fault; a stack trace would only bury it.
    process.stderr.write(`aiproxy: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const env = process.env;
  const logger = pino({ level: env.LOG_LEVEL || "info", base: undefined });
  const path = values.config ?? env.CONFIG_PATH ?? "config.yaml";

  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig(path);
  } catch (error) {
    if (!ConfigError.isInstance(error)) throw error;
    process.stderr.write(
      `aiproxy: invalid config ${error.file ?? path}:\n${indent(error.message)}\n`,
    );
    return 1;
  }
  // Flags beat the environment, which beats the file.
  const host = values.host ?? env.HOST ?? config.server.host;
  const portText = values.port ?? env.PORT;
  const port = portText === undefined ? config.server.port : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`aiproxy: invalid port ${JSON.stringify(portText)}\n`);
    return 1;
  }
  const corsOrigins = env.CORS_ORIGINS?.split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);

  let gateway: Awaited<ReturnType<typeof createGateway>>;
  try {
    gateway = await createGateway(config, {
      host,
      port,
      adminApiKey: env.ADMIN_API_KEY || undefined,
      corsOrigins,
      logger,
      allowOpen: values["allow-open"] === true || env.AIPROXY_ALLOW_OPEN === "true",
    });
  } catch (error) {
    process.stderr.write(`aiproxy: ${(error as Error).message}\n`);
    return 1;
  }
  const running = await serveGateway(gateway, {
    host,
    port,
    shutdownGraceMs: config.server.shutdown_grace * 1000,
    logger,
  });
  logger.info(
    { url: running.url, assistants: gateway.registry.assistantNames() },
    `aiproxy listening on ${running.url}`,
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, "shutting down");
      running.shutdown().then(resolve, (error: unknown) => {
        logger.error({ err: String(error) }, "shutdown failed");
        resolve();
      });
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  return 0;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}

main().then(
  // Explicit: everything is closed by now, but fetch's idle keep-alive
  // sockets to upstreams would hold the process for seconds more.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`aiproxy: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
