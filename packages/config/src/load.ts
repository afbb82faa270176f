import { readFile } from "node:fs/promises";
import { abortError } from "@aiproxy/core";
import { LineCounter, parseDocument } from "yaml";
import { type AiProxyConfig, configSchema, isKnownPath } from "./config.js";
import { MAX_DOCUMENT_DEPTH, tooDeepInYaml } from "./depth.js";
import { type Env, expandEnvCollect } from "./env.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { toConfigIssue } from "./issues.js";
import { rememberWarnings, unknownFields } from "./unknown.js";

export interface ParseOptions {
  /** Where `${VAR}` values come from. Default `process.env`. */
  env?: Env;
  /**
   * Expand `${VAR}` references. Default true; pass false to re-validate a
   * config that was already expanded, where a literal `$` must stay as is.
   */
  expandEnv?: boolean;
}

export interface LoadOptions extends ParseOptions {
  signal?: AbortSignal;
}

/**
 * Validates a config: YAML text, or an already-parsed value. Returns the
 * normalized config (collections as maps by name, defaults filled in) or
 * throws one ConfigError listing every problem by its YAML path.
 */
export function parseConfig(source: string | unknown, options: ParseOptions = {}): AiProxyConfig {
  const raw = typeof source === "string" ? parseYaml(source) : source;
  const { value, issues: envIssues } =
    options.expandEnv === false
      ? { value: raw, issues: [] }
      : expandEnvCollect(raw, options.env ?? process.env);
  const issues: ConfigIssue[] = [];
  const reported = new Set<string>();
  const add = (issue: ConfigIssue) => {
    const key = `${issue.path}\n${issue.message}`;
    if (!reported.has(key)) issues.push(issue);
    reported.add(key);
  };
  // An unset ${VAR} in a key we drop anyway is nobody's problem.
  const envKnown = envIssues.filter((issue) => isKnownPath(issue.segments));
  for (const { path, message } of envKnown) add({ path, message });
  const envPaths = envKnown.map((issue) => issue.path);
  const result = configSchema.safeParse(value, { reportInput: true });
  if (!result.success) {
    for (const zodIssue of result.error.issues) {
      const issue = toConfigIssue(zodIssue, value);
      // The variable's absence already explains what its empty value broke.
      if (!envPaths.some((path) => covers(path, issue.path))) add(issue);
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  rememberWarnings(result.data, unknownFields(value));
  return result.data;
}

/** Reads and validates a YAML config file; a missing file is a ConfigError naming the path. */
export async function loadConfig(path: string, options: LoadOptions = {}): Promise<AiProxyConfig> {
  let text: string;
  try {
    text = await readFile(path, { encoding: "utf8", signal: options.signal });
  } catch (cause) {
    if (options.signal?.aborted) throw abortError(options.signal);
    const code = (cause as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT"
        ? `config file not found: ${path}`
        : `cannot read config file ${path}: ${code ?? (cause as Error).message}`;
    throw new ConfigError([{ path: "", message }], { file: path, cause });
  }
  try {
    return parseConfig(text, options);
  } catch (error) {
    if (ConfigError.isInstance(error)) throw new ConfigError(error.issues, { file: path });
    throw error;
  }
}

function parseYaml(text: string): unknown {
  const tooDeep = tooDeepInYaml(text);
  if (tooDeep !== undefined)
    throw new ConfigError([
      { path: tooDeep, message: `nested more than ${MAX_DOCUMENT_DEPTH} levels deep` },
    ]);
  const lineCounter = new LineCounter();
  // merge: `<<: *defaults` keys, as PyYAML reads them.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: `line ${line}, column ${col}`, message: `invalid YAML: ${error.message}` };
      }),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // Aliases can nest deeper than the text does; building such a value overflows the stack.
    if (error instanceof RangeError)
      throw new ConfigError([{ path: "", message: "invalid YAML: aliases nested too deeply" }], {
        cause: error,
      });
    throw error;
  }
}

/** Whether an issue at `inner` is at or below `outer`. */
function covers(outer: string, inner: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}
