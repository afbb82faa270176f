import * as z from "zod";
import {
  type ApiKeyGrant,
  apiKeyGrantsSchema,
  grantReferenceIssues,
  type LocatedGrant,
  mergeGrants,
  proxyApiKeysSchema,
} from "./api-keys.js";
import { apimanProbeFields, apimanSchema, apimanTrustedHeaderFields } from "./apiman.js";
import { type AssistantParams, assistantFields, assistantSchema } from "./assistant.js";
import { backendBranches, backendSchema } from "./backend.js";
import { collection, collectionMeta } from "./collection.js";
import { isPlainObject } from "./env.js";
import type { PathSegment } from "./errors.js";
import { mcpEndpointFields, mcpEndpointSchema } from "./mcp-endpoint.js";
import {
  mcpServerSchema,
  mcpSseFields,
  mcpStdioFields,
  mcpStreamableHttpFields,
} from "./mcp-server.js";
import { referenceIssues } from "./references.js";
import {
  DEFAULT_RESPONSES_MAX_STORED,
  DEFAULT_RESPONSES_TTL_SECONDS,
  responsesFields,
  responsesSchema,
} from "./responses.js";
import { adminFields, adminSchema, serverFields, serverSchema } from "./server.js";
import { stateFields, stateSchema } from "./state.js";
import { telemetryFields, telemetrySchema } from "./telemetry.js";

const SECTIONS = [
  "server",
  "admin",
  "proxy_api_keys",
  "api_key_grants",
  "apiman",
  "responses",
  "telemetry",
  "state",
  "mcp_endpoint",
  "backends",
  "mcp_servers",
  "assistants",
];

const configFields = z.object({
  server: serverSchema,
  admin: adminSchema,
  proxy_api_keys: proxyApiKeysSchema,
  api_key_grants: apiKeyGrantsSchema,
  apiman: apimanSchema.optional(),
  responses: responsesSchema.default({
    ttl: DEFAULT_RESPONSES_TTL_SECONDS,
    max_stored: DEFAULT_RESPONSES_MAX_STORED,
  }),
  telemetry: telemetrySchema,
  state: stateSchema,
  mcp_endpoint: mcpEndpointSchema,
  backends: collection("backends", backendSchema, "backends"),
  mcp_servers: collection("mcp_servers", mcpServerSchema, "MCP servers"),
  assistants: collection("assistants", assistantSchema, "assistants"),
});

/**
 * The whole config.yaml, after `${VAR}` expansion. Unknown keys are dropped
 * (a config written for the original Python aiproxy loads unchanged), and
 * every problem is reported, cross-references included.
 */
export const configSchema = z.preprocess(
  (value) => {
    if (value === null || value === undefined) return {};
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (SECTIONS.includes(key) && (child === null || child === "")) continue;
      out[key] = child;
    }
    // `apiman: {enabled: false, ...}` switches Apiman off without deleting its settings.
    if (
      isPlainObject(out.apiman) &&
      (out.apiman.enabled === false || out.apiman.enabled === "false")
    )
      delete out.apiman;
    return out;
  },
  configFields
    .superRefine(
      (config, ctx) => {
        if (!isPlainObject(config)) return;
        const names = (section: unknown) =>
          isPlainObject(section)
            ? (collectionMeta.get(section)?.names ?? new Set(Object.keys(section)))
            : new Set<string>();
        const grants: LocatedGrant[] = [
          ...(isPlainObject(config.proxy_api_keys) && Array.isArray(config.proxy_api_keys.grants)
            ? config.proxy_api_keys.grants
            : []),
          ...(Array.isArray(config.api_key_grants) ? config.api_key_grants : []),
        ];
        for (const issue of grantReferenceIssues(
          grants,
          names(config.assistants),
          names(config.mcp_servers),
        ))
          ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
        const assistants = isPlainObject(config.assistants)
          ? collectionMeta.get(config.assistants)?.entries
          : undefined;
        if (!assistants) return;
        for (const issue of referenceIssues(
          assistants,
          names(config.backends),
          names(config.mcp_servers),
        ))
          ctx.addIssue({
            code: "custom",
            path: ["assistants", ...issue.path],
            message: issue.message,
          });
      },
      // Also when other parts failed: every problem goes in one error.
      { when: () => true },
    )
    .transform(({ server, admin, proxy_api_keys, api_key_grants, ...rest }) => ({
      server,
      admin,
      proxy_api_keys: proxy_api_keys.keys,
      api_key_grants: mergeGrants(proxy_api_keys.grants, api_key_grants),
      ...rest,
    })),
);

export type AiProxyConfig = z.output<typeof configSchema>;
export type ServerConfig = AiProxyConfig["server"];
export type AdminConfig = AiProxyConfig["admin"];
export type ResponsesConfig = AiProxyConfig["responses"];
export type TelemetryConfig = AiProxyConfig["telemetry"];
export type StateConfig = AiProxyConfig["state"];
export type McpEndpointConfig = AiProxyConfig["mcp_endpoint"];
export type BackendConfig = z.output<typeof backendSchema>;
export type McpServerConfig = z.output<typeof mcpServerSchema>;
export type McpStdioServerConfig = Extract<McpServerConfig, { transport: "stdio" }>;
export type McpRemoteServerConfig = Exclude<McpServerConfig, { transport: "stdio" }>;
export type AssistantConfig = z.output<typeof assistantSchema>;
export type { AssistantParams };
export type ApimanConfig = z.output<typeof apimanSchema>;
export type { ApiKeyGrant };

/** What the admin API accepts as bodies (before aliases and defaults). */
export type BackendInput = z.input<(typeof backendBranches)[number]>;
export type McpServerInput =
  | z.input<typeof mcpStdioFields>
  | z.input<typeof mcpSseFields>
  | z.input<typeof mcpStreamableHttpFields>;
export type AssistantInput = z.input<typeof assistantFields>;
export type ApimanInput =
  | z.input<typeof apimanProbeFields>
  | z.input<typeof apimanTrustedHeaderFields>;
export type ServerInput = z.input<typeof serverFields>;
export type AdminInput = z.input<typeof adminFields>;

/**
 * Whether a key at `path` (in a raw config) is one the schemas read, so an
 * unset `${VAR}` in a key we drop anyway is not a problem.
 */
export function isKnownPath(path: readonly PathSegment[]): boolean {
  const [section, second, field] = path;
  if (section === undefined) return true;
  if (typeof section !== "string" || !SECTIONS.includes(section)) return false;
  const keys = sectionKeys[section];
  if (keys) return second === undefined || keys.has(String(second));
  const fields = entryKeys[section];
  if (fields) return field === undefined || fields.has(String(field));
  return true;
}

const keysOf = (...objects: z.ZodObject[]) =>
  new Set(objects.flatMap((object) => Object.keys(object.shape)));

/** Keys read in the single-object sections; proxy_api_keys is a list, all of it read. */
const sectionKeys: Record<string, Set<string>> = {
  server: keysOf(serverFields),
  admin: keysOf(adminFields),
  apiman: keysOf(apimanProbeFields, apimanTrustedHeaderFields),
  responses: keysOf(responsesFields),
  telemetry: keysOf(telemetryFields),
  state: new Set(Object.keys(stateFields.shape)),
  mcp_endpoint: keysOf(mcpEndpointFields),
};

/** Keys read in each entry of a collection, aliases included. */
const entryKeys: Record<string, Set<string>> = {
  backends: new Set([...keysOf(...backendBranches), "type", "provider"]),
  mcp_servers: new Set([...keysOf(mcpStdioFields, mcpSseFields, mcpStreamableHttpFields), "type"]),
  assistants: keysOf(assistantFields),
};
