import { randomUUID } from "node:crypto";
import { type AdminPolicy, type AuthChain, unauthorizedResponse } from "@aiproxy/auth";
import { type Logger, NotFoundError, PayloadTooLargeError, redactUrl } from "@aiproxy/core";
import { MemoryResponseStore } from "@aiproxy/state";
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import { type AdminOptions, adminRoutes } from "./admin/routes.js";
import { chatCompletions } from "./chat/route.js";
import { RequestLog } from "./console/request-log.js";
import { consoleStatic } from "./console/static.js";
import { requestTailRoutes } from "./console/tail-route.js";
import type { GatewayEnv } from "./env.js";
import { grantLookup, mayUse } from "./grants.js";
import { limitBody } from "./http/body-limit.js";
import { clip } from "./http/clip.js";
import { errorResponse } from "./http/errors.js";
import { carriesRequestId } from "./http/request-id.js";
import { isMcpPath, mcpErrorResponse } from "./mcp/errors.js";
import { type McpRoutesOptions, mcpRoutes } from "./mcp/routes.js";
import {
  anthropicErrorResponse,
  anthropicUnauthorized,
  wantsAnthropicErrors,
} from "./messages/errors.js";
import { anthropicModel, anthropicModelList } from "./messages/models.js";
import { countTokens, messages } from "./messages/route.js";
import type { Registry } from "./registry/registry.js";
import { DROPPED_TOOLS_HEADER, responsesRoutes } from "./responses/route.js";
import type { ResponsesStore } from "./responses/store.js";
import { RunService } from "./run/service.js";
import { metricsRoute } from "./telemetry/metrics-route.js";
import { type GatewayTelemetry, surfaceOf } from "./telemetry/telemetry.js";
import { VERSION } from "./version.js";

export interface AppOptions {
  registry: Registry;
  auth: AuthChain;
  adminPolicy: AdminPolicy;
  logger: Logger;
  bodyLimitBytes: number;
  corsOrigins: readonly string[];
  /** The live config's store: admin changes are saved there, then applied from it. */
  configSync: AdminOptions["sync"];
  /** The server settings in effect, which `/admin/config` shows. */
  serverSettings?: AdminOptions["serverSettings"];
  /** Stored Responses API responses; default in memory, bounded by `responses.max_stored`. */
  responseStore?: ResponsesStore;
  /** MCP endpoint session records; default in this process (Redis shares them between replicas). */
  mcpSessions?: McpRoutesOptions["sessions"];
  /** True once the gateway is shutting down: `/ready` turns 503. */
  isDraining: () => boolean;
  /** Metrics (`GET /metrics`) and traces of every run. */
  telemetry?: GatewayTelemetry;
  /** `telemetry.metrics.api_key`: a scraper's key, besides the admin key. */
  metricsApiKey?: string;
  /** The built web console served at `/ui`; default apps/console/dist, found at start. */
  consoleDir?: string;
}

/** The gateway's routes, framework-level middleware and error shapes. */
export function createApp(options: AppOptions): Hono<GatewayEnv> {
  const { registry, auth, logger } = options;
  // The config the auth chain's keys came from: the one the registry opened with.
  const grantOf = grantLookup(registry.config);
  const app = new Hono<GatewayEnv>();

  app.use("*", async (c, next) => {
    const started = performance.now();
    const requestId = c.req.header("x-request-id")?.slice(0, 128) || randomUUID();
    c.set("requestId", requestId);
    await next();
    if (!carriesRequestId(c.res)) setResponseHeader(c, "x-request-id", requestId);
    if (options.isDraining()) setResponseHeader(c, "connection", "close");
    // A request that started a run is logged (and counted) by the run service once the run ends.
    const surface = surfaceOf(c.req.path);
    if (!c.get("logged") && surface !== "other")
      options.telemetry?.metrics?.request(
        surface,
        "unknown",
        c.res.status,
        (performance.now() - started) / 1000,
      );
    if (!c.get("logged"))
      logger.info(
        {
          requestId,
          method: c.req.method,
          path: redactUrl(c.req.url).replace(/^https?:\/\/[^/]+/, ""),
          status: c.res.status,
          latencyMs: Math.round(performance.now() - started),
        },
        "request",
      );
  });

  if (options.corsOrigins.length > 0)
    app.use(
      "*",
      cors({
        origin: [...options.corsOrigins],
        allowHeaders: [
          "authorization",
          "content-type",
          "x-api-key",
          "x-request-id",
          // What the Anthropic SDKs send from a browser.
          "anthropic-version",
          "anthropic-beta",
          "anthropic-dangerous-direct-browser-access",
          // What an MCP client sends over streamable HTTP.
          "mcp-session-id",
          "mcp-protocol-version",
          "last-event-id",
        ],
        exposeHeaders: ["x-request-id", "retry-after", "mcp-session-id", DROPPED_TOOLS_HEADER],
        maxAge: 600,
      }),
    );

  app.use(
    "*",
    limitBody({
      maxSize: options.bodyLimitBytes,
      onError: () => {
        throw new PayloadTooLargeError({
          message: `The request body is larger than the limit of ${options.bodyLimitBytes} bytes`,
        });
      },
    }),
  );

  app.get("/", (c) =>
    c.json({
      name: "aiproxy",
      version: VERSION,
      endpoints: [
        "/v1/models",
        "/v1/chat/completions",
        "/v1/messages",
        "/v1/responses",
        "/mcp",
        "/sse",
        "/health",
        "/ready",
        "/admin",
      ],
    }),
  );
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", (c) =>
    options.isDraining() ? c.json({ status: "draining" }, 503) : c.json({ status: "ready" }),
  );

  app.use("/v1/*", async (c, next) => {
    const decision = await auth.authenticate(c.req.raw, { signal: c.req.raw.signal });
    if (!decision.ok) {
      options.telemetry?.metrics?.authRefused(
        /missing/i.test(decision.reason) ? "missing_key" : "invalid_key",
      );
      return wantsAnthropicErrors(c)
        ? anthropicUnauthorized(logger, c.get("requestId"))
        : unauthorizedResponse();
    }
    const grant = grantOf(decision);
    c.set(
      "caller",
      grant ? { provider: decision.provider, grant } : { provider: decision.provider },
    );
    await next();
  });

  app.get("/v1/models", (c) => {
    const caller = c.get("caller");
    const visible = (name: string) => mayUse(caller, name);
    return c.req.header("anthropic-version") !== undefined
      ? c.json(anthropicModelList(registry, visible))
      : c.json({
          object: "list",
          data: registry
            .assistantNames()
            .filter(visible)
            .map((name) => model(registry, name)),
        });
  });
  app.get("/v1/models/:name", (c) => {
    const name = c.req.param("name");
    // Outside the caller's grant is answered as not existing.
    const listed = registry.isListed(name) && mayUse(c.get("caller"), name);
    if (c.req.header("anthropic-version") !== undefined && listed)
      return c.json(anthropicModel(registry, name));
    if (!listed)
      throw new NotFoundError({
        message: `The model '${clip(name)}' does not exist`,
        param: "model",
      });
    return c.json(model(registry, name));
  });

  if (options.telemetry)
    app.get(
      "/metrics",
      metricsRoute(options.telemetry, options.adminPolicy, options.metricsApiKey),
    );

  const requestLog = new RequestLog();
  const runs = new RunService({
    registry,
    logger,
    telemetry: options.telemetry,
    onRunLogged: (line) => requestLog.push(line),
  });
  app.post("/v1/chat/completions", chatCompletions({ registry, runs }));
  app.post("/v1/messages", messages({ registry, runs }));
  const store =
    options.responseStore ??
    new MemoryResponseStore({ maxEntries: registry.config.responses.max_stored });
  app.route("/v1/responses", responsesRoutes({ registry, runs, store }));
  app.post("/v1/messages/count_tokens", countTokens({ registry }));

  app.route(
    "/",
    mcpRoutes({
      registry,
      auth,
      grantOf,
      logger,
      corsOrigins: options.corsOrigins,
      bindHost: () => options.serverSettings?.().host,
      settings: registry.config.mcp_endpoint,
      ...(options.mcpSessions && { sessions: options.mcpSessions }),
      isDraining: options.isDraining,
      onAuthRefused: (reason) => options.telemetry?.metrics?.authRefused(reason),
    }).routes,
  );

  app.route("/ui", consoleStatic({ policy: options.adminPolicy, dir: options.consoleDir }));
  app.route("/admin/requests", requestTailRoutes({ log: requestLog, policy: options.adminPolicy }));
  app.route(
    "/admin",
    adminRoutes({
      registry,
      policy: options.adminPolicy,
      logger,
      sync: options.configSync,
      serverSettings: options.serverSettings,
    }),
  );

  const respond = (error: unknown, c: Context<GatewayEnv>) =>
    isMcpPath(c.req.path)
      ? mcpErrorResponse(error, logger)
      : wantsAnthropicErrors(c)
        ? anthropicErrorResponse(error, logger, c.get("requestId"))
        : errorResponse(error, logger);
  app.notFound((c) =>
    respond(
      new NotFoundError({
        message: `No route for ${clip(c.req.method)} ${clip(new URL(c.req.url).pathname)}`,
      }),
      c,
    ),
  );
  app.onError((error, c) => respond(error, c));
  return app;
}

/**
 * A header on the handler's response, set in place. `c.header` after the
 * handler rebuilds the Response around its body, which on @hono/node-server
 * turns a string body into a web stream (and the one-write fast path into a
 * streamed, chunked answer). Only a response with immutable headers (one
 * straight from `fetch`) is still rebuilt.
 */
function setResponseHeader(c: Context<GatewayEnv>, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

function model(registry: Registry, name: string) {
  const assistant = registry.config.assistants[name];
  return {
    id: name,
    object: "model" as const,
    created: 0,
    owned_by: "aiproxy",
    ...(assistant?.description && { description: assistant.description }),
  };
}
