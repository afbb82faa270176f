import { isKnownPath } from "./config.js";
import { isPlainObject } from "./env.js";
import { type ConfigIssue, formatPath, type PathSegment } from "./errors.js";

const COLLECTIONS = new Set(["backends", "mcp_servers", "assistants"]);

/**
 * Keys the schemas do not read, by YAML path: they are dropped, so a config
 * written for another version still loads, but each is worth a warning (a
 * misspelt `tool_backend` would otherwise vanish without a word).
 */
export function unknownFields(raw: unknown): ConfigIssue[] {
  if (!isPlainObject(raw)) return [];
  const found: PathSegment[][] = [];
  const check = (path: PathSegment[]) => {
    if (!isKnownPath(path)) found.push(path);
  };
  for (const [section, value] of Object.entries(raw)) {
    check([section]);
    if (!isKnownPath([section]) || (!isPlainObject(value) && !Array.isArray(value))) continue;
    if (!COLLECTIONS.has(section)) {
      if (isPlainObject(value)) for (const key of Object.keys(value)) check([section, key]);
      continue;
    }
    const entries: [PathSegment, unknown][] = Array.isArray(value)
      ? value.map((entry, index) => [index, entry])
      : Object.entries(value);
    for (const [location, entry] of entries) {
      if (!isPlainObject(entry)) continue;
      for (const key of Object.keys(entry)) check([section, location, key]);
    }
  }
  return found.map((path) => ({ path: formatPath(path), message: "unknown field, ignored" }));
}

/** Unknown fields of one collection entry as an admin PUT sends it, located as in the config. */
export function unknownEntryFields(section: string, name: string, body: unknown): ConfigIssue[] {
  return unknownFields({ [section]: { [name]: body } });
}

const warnings = new WeakMap<object, ConfigIssue[]>();

export function rememberWarnings(config: object, issues: ConfigIssue[]): void {
  warnings.set(config, issues);
}

/** What parseConfig or loadConfig accepted but did not use (see `unknownFields`), for the start log. */
export function configWarnings(config: object): ConfigIssue[] {
  return warnings.get(config) ?? [];
}
