import { grantReferenceIssues } from "./api-keys.js";
import type { AiProxyConfig } from "./config.js";
import { type ConfigIssue, formatPath, type PathSegment } from "./errors.js";

export interface ReferenceIssue {
  path: PathSegment[];
  message: string;
}

/** Unknown backends and MCP servers named by assistants, located by each assistant's path. */
export function referenceIssues(
  assistants: Iterable<{ location: PathSegment[]; value: Record<string, unknown> }>,
  backends: ReadonlySet<string>,
  mcpServers: ReadonlySet<string>,
): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  for (const { location, value } of assistants) {
    const { mcp_servers: servers } = value;
    for (const field of ["backend", "tool_backend"]) {
      const backend = value[field];
      if (typeof backend === "string" && backend.trim() !== "" && !backends.has(backend))
        issues.push({
          path: [...location, field],
          message: `unknown backend ${JSON.stringify(backend)}`,
        });
    }
    const named: [string, PathSegment[]][] =
      typeof servers === "string"
        ? [[servers, []]]
        : Array.isArray(servers)
          ? servers.map((server, index) => [server, [index]])
          : [];
    for (const [server, at] of named) {
      if (typeof server === "string" && server.trim() !== "" && !mcpServers.has(server.trim()))
        issues.push({
          path: [...location, "mcp_servers", ...at],
          message: `unknown MCP server ${JSON.stringify(server)}`,
        });
    }
  }
  return issues;
}

/**
 * Cross-entry problems in a normalized config: an assistant naming a backend
 * or MCP server that does not exist, a key's grant naming an assistant or MCP
 * server that does not exist, or an entry whose `name` differs from
 * its key. For the admin API to re-check after a change; paths are by name,
 * e.g. `assistants.demo.backend`.
 */
export function validateReferences(config: AiProxyConfig): ConfigIssue[] {
  const issues: ReferenceIssue[] = [];
  for (const section of ["backends", "mcp_servers", "assistants"] as const) {
    for (const [key, entry] of Object.entries(config[section] ?? {})) {
      if (entry.name !== key)
        issues.push({
          path: [section, key, "name"],
          message: `name ${JSON.stringify(entry.name)} differs from its key ${JSON.stringify(key)}`,
        });
    }
  }
  const assistants = Object.entries(config.assistants ?? {}).map(([key, value]) => ({
    location: ["assistants", key],
    value: value as unknown as Record<string, unknown>,
  }));
  issues.push(
    ...referenceIssues(
      assistants,
      new Set(Object.keys(config.backends ?? {})),
      new Set(Object.keys(config.mcp_servers ?? {})),
    ),
    ...grantReferenceIssues(
      (config.api_key_grants ?? []).map((grant, index) => ({
        ...grant,
        at: ["api_key_grants", index],
      })),
      new Set(Object.keys(config.assistants ?? {})),
      new Set(Object.keys(config.mcp_servers ?? {})),
    ),
  );
  return issues.map(({ path, message }) => ({ path: formatPath(path), message }));
}
