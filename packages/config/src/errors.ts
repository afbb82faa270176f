import { AiProxyError } from "@aiproxy/core";

/** One problem in a config, located by its YAML path, e.g. `assistants[1].backend`. */
export interface ConfigIssue {
  /** Where the problem is; empty for the file as a whole. */
  path: string;
  message: string;
}

export interface ConfigErrorOptions {
  /** The file the config came from, when it came from one. */
  file?: string;
  cause?: unknown;
}

/**
 * An invalid config: every problem found, not just the first. The message
 * lists them one per line as `path: message`, so it can be printed as is.
 */
export class ConfigError extends AiProxyError {
  declare readonly code: "invalid_config";
  readonly issues: ConfigIssue[];
  readonly file: string | undefined;

  constructor(issues: ConfigIssue[], options: ConfigErrorOptions = {}) {
    super("invalid_config", 422, "invalid_request_error", {
      message: issues.map(formatIssue).join("\n") || "invalid config",
      cause: options.cause,
    });
    this.name = "ConfigError";
    this.issues = issues;
    this.file = options.file;
  }

  static override isInstance(error: unknown): error is ConfigError {
    return AiProxyError.isInstance(error) && error.code === "invalid_config";
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `["assistants", 1, "backend"]` -> `assistants[1].backend`; odd keys are quoted: `backends["a.b"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
