import { type AdminPolicy, type AuthChain, adminPolicy, isLoopbackHost } from "@aiproxy/auth";
import type { AiProxyConfig, ServerConfig } from "@aiproxy/config";
import { configWarnings } from "@aiproxy/config";
import { type Logger, silentLogger } from "@aiproxy/core";
import type { Hono } from "hono";
import { applyState } from "./admin/state.js";
import { createApp } from "./app.js";
import { authChainFor } from "./auth.js";
import type { GatewayEnv } from "./env.js";
import { Registry } from "./registry/registry.js";
import { ConfigSync } from "./state/config-sync.js";
import { openState } from "./state/open-state.js";
import { GatewayTelemetry } from "./telemetry/telemetry.js";
import { setupTracing } from "./telemetry/tracing.js";

export interface GatewayOptions {
  /** The address the server will listen on; it decides the admin API's defaults. */
  host?: string;
  /** The port the server will listen on, when not the file's (`--port`, `PORT`). */
  port?: number;
  /** Wins over `admin.api_key`. */
  adminApiKey?: string;
  /** Wins over `server.cors_origins`. */
  corsOrigins?: readonly string[];
  logger?: Logger;
  /** Serve `/v1` without credentials on a non-loopback address. */
  allowOpen?: boolean;
  /** Where the standard `OTEL_*` variables are read. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

export interface Gateway {
  app: Hono<GatewayEnv>;
  registry: Registry;
  /** The server settings in effect: flags and environment over the file, the bound port once listening. */
  readonly server: ServerConfig;
  /** Records the port actually bound (`--port 0` picks one). */
  listening(port: number): void;
  /** `/ready` turns 503 and responses ask clients to close their connections. */
  drain(): void;
  readonly draining: boolean;
  /** Disposes every backend, MCP server and cache. */
  close(): Promise<void>;
}

/**
 * The gateway for a loaded config, not yet listening: everything a test or
 * an embedding app needs to call `app.fetch`.
 */
export async function createGateway(
  config: AiProxyConfig,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? config.server.host;
  // Accepted so older configs load, but named, so a misspelt field does not vanish silently.
  for (const warning of configWarnings(config))
    logger.warn({ path: warning.path }, `config: ${warning.path}: ${warning.message}`);
  // The admin overlay comes from the state store (admin.persist_path, or Redis shared by replicas).
  const state = await openState(config, logger);
  const overlaySource = config.admin.persist_path ?? `the ${config.state.store} state store`;
  let live: AiProxyConfig;
  try {
    live = applyState(config, state.initial.overlay, overlaySource);
  } catch (error) {
    await state.close();
    throw error;
  }

  const auth: AuthChain = authChainFor(live, logger, state.probeCache);
  if (auth.open) {
    if (!isLoopbackHost(host) && !options.allowOpen)
      throw new Error(
        `Refusing to serve /v1 without credentials on ${host}, which is not a loopback address: set proxy_api_keys (PROXY_API_KEY) or apiman, or pass --allow-open`,
      );
    logger.warn(
      { host },
      "no proxy_api_keys or apiman configured: /v1 is open to anyone who can reach it",
    );
  }
  const policy: AdminPolicy = adminPolicy({
    adminApiKey: options.adminApiKey ?? config.admin.api_key,
    host,
    allowStdio: config.admin.allow_stdio,
  });
  if (!policy.open && !(options.adminApiKey ?? config.admin.api_key))
    logger.warn(
      { host },
      "admin API disabled: set ADMIN_API_KEY to use it on a non-loopback address",
    );

  let registry: Registry | undefined;
  const tracing = await setupTracing(live.telemetry, options.env ?? process.env);
  const telemetry = new GatewayTelemetry(live.telemetry, tracing, () =>
    Object.keys(registry?.config.mcp_servers ?? {}).map((server) => {
      const status = registry?.fabric.status(server);
      return { server, state: status?.state ?? "disabled", restarts: status?.restarts ?? 0 };
    }),
  );
  try {
    registry = await Registry.open(live, {
      logger,
      exchangeHooks: (backend) => telemetry.exchangeHooks(backend),
    });
  } catch (error) {
    await telemetry.close();
    await state.close();
    throw error;
  }
  const opened = registry;
  const sync = new ConfigSync({
    store: state.store,
    registry: opened,
    base: config,
    source: overlaySource,
    logger,
    overlay: state.initial.overlay,
    version: state.initial.version,
    writeError: state.writeError,
  });
  let draining = false;
  const server: ServerConfig = {
    ...config.server,
    host,
    port: options.port ?? config.server.port,
    cors_origins: [...(options.corsOrigins ?? config.server.cors_origins)],
  };
  const app = createApp({
    registry: opened,
    auth,
    adminPolicy: policy,
    logger,
    bodyLimitBytes: config.server.body_limit_bytes,
    corsOrigins: options.corsOrigins ?? config.server.cors_origins,
    configSync: sync,
    ...(state.responseStore && { responseStore: state.responseStore }),
    ...(state.sessionStore && { mcpSessions: state.sessionStore }),
    serverSettings: () => server,
    isDraining: () => draining,
    telemetry,
    metricsApiKey: live.telemetry.metrics.api_key,
  });
  return {
    app,
    registry: opened,
    server,
    listening(port) {
      server.port = port;
    },
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
    async close() {
      draining = true;
      auth.close();
      await sync.close();
      await state.close();
      await opened.close();
      // After the registry: the last runs' spans are ended and sent.
      await telemetry.close();
    },
  };
}
