import type { AuthChain, AuthDecision } from "@aiproxy/auth";
import type { McpEndpointConfig } from "@aiproxy/config";
import type { Logger } from "@aiproxy/core";
import {
  createMcpEndpoint,
  jsonRpcError,
  type McpEndpoint,
  type McpRequestContext,
  type SessionStore,
} from "@aiproxy/mcp-server";
import { type Context, Hono } from "hono";
import type { GatewayEnv } from "../env.js";
import { type Grant, mayUse } from "../grants.js";
import type { Registry } from "../registry/registry.js";
import { VERSION } from "../version.js";
import { refusal } from "./guard.js";
import { sessionOwner } from "./owner.js";
import { allServers, assistantScope, type Scope, sourceFor } from "./sources.js";

export interface McpRoutesOptions {
  registry: Registry;
  auth: AuthChain;
  /** The grant of the key a request was accepted with (see grants.ts); none: everything. */
  grantOf?: (decision: Extract<AuthDecision, { ok: true }>) => Grant | undefined;
  logger: Logger;
  corsOrigins: readonly string[];
  /** The address the gateway listens on: a loopback bind checks `Host` too. */
  bindHost: () => string | undefined;
  settings: McpEndpointConfig;
  /** Where session records live (Redis, shared by replicas); default in this process. */
  sessions?: SessionStore;
  /** True once the gateway drains: the endpoint then closes its long-lived streams. */
  isDraining?: () => boolean;
  /** Counts a refused request, by why. */
  onAuthRefused?: (reason: "missing_key" | "invalid_key") => void;
}

/** Scope name of `/mcp` and `/sse`; an assistant name never contains `*`. */
const ALL = "*";
const DRAIN_POLL_MS = 250;

/**
 * The gateway as an MCP server: `/mcp` and `/mcp/{assistant}` over streamable
 * HTTP, `/sse` (and `/sse/{assistant}`) over the legacy HTTP+SSE transport.
 * Origin and Host are checked first, then the `/v1` auth chain.
 */
export function mcpRoutes(options: McpRoutesOptions): {
  routes: Hono<GatewayEnv>;
  endpoint: McpEndpoint;
} {
  const { registry, auth, logger, settings } = options;
  const endpoint = createMcpEndpoint({
    serverInfo: { name: "aiproxy", version: VERSION },
    idleTimeoutMs: settings.session_idle_timeout * 1000,
    maxSessions: settings.max_sessions,
    maxMessageBytes: settings.max_message_size,
    ...(options.sessions && { sessions: options.sessions }),
    logger,
  });
  // The app learns of a drain only by asking; open MCP streams would otherwise hold shutdown for its whole grace.
  const drainWatch = setInterval(() => {
    if (!options.isDraining?.()) return;
    endpoint.drain();
    clearInterval(drainWatch);
  }, DRAIN_POLL_MS);
  drainWatch.unref();
  const scopes = new Map<string, Scope>();
  /** A scope by its name: `*`, `*[a,b]` (only these servers, a grant's) or an assistant's. */
  const scopeOf = (name: string, only?: readonly string[]): Scope => {
    let scope = scopes.get(name);
    if (!scope) {
      scope = name.startsWith(ALL) ? allServers(registry, only) : assistantScope(registry, name);
      scopes.set(name, scope);
    }
    return scope;
  };

  /** The request's context, or the response that refuses it. */
  async function prepare(
    c: Context<GatewayEnv>,
    scope: string,
  ): Promise<McpRequestContext | Response> {
    const request = c.req.raw;
    const refused = refusal(request, {
      corsOrigins: options.corsOrigins,
      bindHost: options.bindHost(),
    });
    if (refused) return jsonRpcError(403, -32000, `Forbidden: ${refused}`);
    const decision = await auth.authenticate(request, { signal: request.signal });
    if (!decision.ok) {
      options.onAuthRefused?.(/missing/i.test(decision.reason) ? "missing_key" : "invalid_key");
      return jsonRpcError(401, -32000, `Unauthorized: ${decision.reason}`, {
        "www-authenticate": 'Bearer realm="aiproxy"',
      });
    }
    const grant = options.grantOf?.(decision);
    const caller = grant ? { provider: decision.provider, grant } : { provider: decision.provider };
    c.set("caller", caller);
    // One the caller's grant leaves out is answered as one that does not exist.
    if (scope !== ALL && (!registry.config.assistants[scope] || !mayUse(caller, scope)))
      return jsonRpcError(404, -32000, "No such assistant; GET /v1/models lists them");
    const only = scope === ALL ? grant?.mcpServers : undefined;
    // A limited view is its own scope: its sessions and cached toolset are not the full one's.
    const name = only ? `${ALL}[${only.join(",")}]` : scope;
    return {
      owner: sessionOwner(decision.provider, request),
      scope: name,
      source: () => sourceFor(registry, scopeOf(name, only), logger),
    };
  }

  const routes = new Hono<GatewayEnv>();
  const streamable =
    (scope: (c: Context<GatewayEnv>) => string) => async (c: Context<GatewayEnv>) => {
      const context = await prepare(c, scope(c));
      return context instanceof Response ? context : endpoint.handle(c.req.raw, context);
    };
  const sseOpen =
    (scope: (c: Context<GatewayEnv>) => string, base: (c: Context<GatewayEnv>) => string) =>
    async (c: Context<GatewayEnv>) => {
      const context = await prepare(c, scope(c));
      if (context instanceof Response) return context;
      const messages = `${base(c)}/message`;
      return endpoint.openSse(c.req.raw, {
        ...context,
        messageUrl: (id) => `${messages}?sessionId=${encodeURIComponent(id)}`,
      });
    };
  const ssePost = (scope: (c: Context<GatewayEnv>) => string) => async (c: Context<GatewayEnv>) => {
    const context = await prepare(c, scope(c));
    return context instanceof Response ? context : endpoint.postSse(c.req.raw, context);
  };
  const all = () => ALL;
  const named = (c: Context<GatewayEnv>) => c.req.param("assistant") ?? "";

  routes.on(["GET", "POST", "DELETE"], "/mcp", streamable(all));
  routes.on(["GET", "POST", "DELETE"], "/mcp/:assistant", streamable(named));
  routes.get(
    "/sse",
    sseOpen(all, () => "/sse"),
  );
  routes.post("/sse/message", ssePost(all));
  routes.get(
    "/sse/:assistant",
    sseOpen(named, (c) => `/sse/${encodeURIComponent(named(c))}`),
  );
  routes.post("/sse/:assistant/message", ssePost(named));
  return { routes, endpoint };
}
