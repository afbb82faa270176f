import { ConfigError, type ConfigIssue, formatPath, type PathSegment } from "./errors.js";
import { mapTree } from "./walk.js";

export type Env = Record<string, string | undefined>;

export interface EnvIssue extends ConfigIssue {
  segments: PathSegment[];
}

/**
 * Where an unset `${VAR}` quietly becomes "" instead of a problem: places
 * where an empty value is dropped anyway, so a list of optional keys can be
 * written as `["${KEY_1}", "${KEY_2}"]` and only the set ones count.
 */
function emptyAllowed(path: readonly PathSegment[]): boolean {
  return (
    path[0] === "proxy_api_keys" && (path.length <= 2 || (path.length === 3 && path[2] === "key"))
  );
}

/** Defaults may hold references; this bounds the recursion that expands them. */
const MAX_DEFAULT_NESTING = 32;

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([\s\S]*))?$/;

/**
 * Expands `${VAR}`, `${VAR:-default}` (default when unset or empty) and
 * `${VAR-default}` (default when unset) in every string of `value`, nested in
 * maps and lists; keys are left alone. `$$` is a literal `$`, so `$${X}` is
 * the literal text `${X}`. Defaults may themselves hold references.
 * Problems (an unset variable without default, a malformed reference) are
 * collected with their paths rather than thrown.
 */
export function expandEnvCollect(value: unknown, env: Env): { value: unknown; issues: EnvIssue[] } {
  const issues: EnvIssue[] = [];
  // A node's path is built from its parents only when a problem needs it.
  const expanded = mapTree(value, undefined as PathLink | undefined, (node, at) =>
    typeof node === "string"
      ? { value: expandString(node, env, () => pathOf(at), issues) }
      : { children: (key) => ({ parent: at, key }) },
  );
  return { value: expanded, issues };
}

interface PathLink {
  readonly parent: PathLink | undefined;
  readonly key: PathSegment;
}

function pathOf(at: PathLink | undefined): PathSegment[] {
  const path: PathSegment[] = [];
  for (let link = at; link; link = link.parent) path.push(link.key);
  return path.reverse();
}

/**
 * `expandEnvCollect` that throws a ConfigError listing every problem. Paths
 * are relative to `value`, which is taken to be a whole config: an unset
 * variable is allowed (it becomes "") only in `proxy_api_keys` entries (a map's `key`).
 */
export function expandEnv(value: unknown, env: Env = process.env): unknown {
  const result = expandEnvCollect(value, env);
  if (result.issues.length > 0)
    throw new ConfigError(result.issues.map(({ path, message }) => ({ path, message })));
  return result.value;
}

function expandString(
  text: string,
  env: Env,
  pathOf: () => PathSegment[],
  issues: EnvIssue[],
  nesting = 0,
): string {
  if (!text.includes("$")) return text;
  const report = (message: string) => {
    const path = pathOf();
    issues.push({ path: formatPath(path), segments: path, message });
  };
  let out = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    const next = text[i + 1];
    if (char !== "$" || (next !== "$" && next !== "{")) {
      out += char;
      i++;
      continue;
    }
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    const end = closingBrace(text, i + 2);
    if (end < 0) {
      report(`unterminated "\${" in ${JSON.stringify(text)} (write "$\${" for a literal "\${")`);
      return out + text.slice(i);
    }
    const inner = text.slice(i + 2, end);
    const match = REFERENCE.exec(inner);
    if (!match) {
      report(`invalid reference "\${${inner}}": use \${VAR} or \${VAR:-default}`);
      out += text.slice(i, end + 1);
    } else {
      const [, name = "", operator, fallback = ""] = match;
      const current = env[name];
      const useDefault =
        operator === ":-"
          ? current === undefined || current === ""
          : operator === "-"
            ? current === undefined
            : false;
      if (useDefault && nesting >= MAX_DEFAULT_NESTING) {
        report(`defaults nested more than ${MAX_DEFAULT_NESTING} deep in "\${${name}...}"`);
        return out;
      }
      if (useDefault) out += expandString(fallback, env, pathOf, issues, nesting + 1);
      else if (current !== undefined) out += current;
      else if (!emptyAllowed(pathOf())) report(`environment variable ${name} is not set`);
    }
    i = end + 1;
  }
  return out;
}

/** The index of the `}` closing a reference whose body starts at `from`; nested `${` count. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "$" && text[j + 1] === "{") {
      depth++;
      j++;
    } else if (text[j] === "}" && --depth === 0) return j;
  }
  return -1;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
