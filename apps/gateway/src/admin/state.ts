import type { AiProxyConfig } from "@aiproxy/config";
import { ConfigError, parseConfig } from "@aiproxy/config";
import { AiProxyError } from "@aiproxy/core";

export const SECTIONS = ["backends", "mcp_servers", "assistants"] as const;
export type Section = (typeof SECTIONS)[number];

/**
 * What the admin API changed since config.yaml: per section, the entries it
 * put (normalized) and the names it deleted (null). Kept as an overlay, not
 * a full copy, so edits to config.yaml that admin never touched still apply.
 */
export type AdminState = { version: 1 } & Record<Section, Record<string, unknown>>;

export function emptyState(): AdminState {
  return { version: 1, backends: {}, mcp_servers: {}, assistants: {} };
}

/** A new overlay: `state` with the change's entries put (or, as null, deleted) over it. */
export function withChange(
  state: AdminState,
  change: Partial<Record<Section, Record<string, unknown>>>,
): AdminState {
  const next = emptyState();
  for (const section of SECTIONS) Object.assign(next[section], state[section], change[section]);
  return next;
}

/**
 * 500: an admin change could not be written to `admin.persist_path`, so it
 * was not applied. The message names the file and the system's reason; the
 * file is the operator's own setting, so naming it leaks nothing.
 */
export class PersistError extends AiProxyError {
  declare readonly code: "persist_failed";

  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("persist_failed", 500, "server_error", {
      message: `could not save the change to ${path}: ${reason}`,
      cause,
    });
    this.name = "PersistError";
  }

  static override isInstance(error: unknown): error is PersistError {
    return AiProxyError.isInstance(error) && error.code === "persist_failed";
  }
}

/** An overlay as read from a store: its three sections, anything else dropped. */
export function toAdminState(value: unknown): AdminState {
  const parsed = (typeof value === "object" && value !== null ? value : {}) as Partial<AdminState>;
  const state = emptyState();
  for (const section of SECTIONS) Object.assign(state[section], parsed[section]);
  return state;
}

/** The config with the overlay applied, validated as a whole (env already expanded). */
export function applyState(config: AiProxyConfig, state: AdminState, file: string): AiProxyConfig {
  const merged: Record<string, unknown> = { ...config };
  for (const section of SECTIONS) {
    const entries: Record<string, unknown> = { ...config[section] };
    for (const [name, entry] of Object.entries(state[section])) {
      if (entry === null) delete entries[name];
      else entries[name] = entry;
    }
    merged[section] = entries;
  }
  try {
    return parseConfig(merged, { expandEnv: false });
  } catch (error) {
    if (ConfigError.isInstance(error))
      throw new ConfigError(error.issues, {
        file: `${file} (admin changes applied over the config file)`,
      });
    throw error;
  }
}
