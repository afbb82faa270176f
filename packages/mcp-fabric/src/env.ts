import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";

/**
 * Harmless variables a child may need beyond the SDK's own default set
 * (HOME, LOGNAME, PATH, SHELL, TERM, USER; on Windows APPDATA, SYSTEMROOT, ...):
 * locale, time zone and temp dir. Nothing that could hold a credential.
 */
const EXTRA_INHERITED = ["LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TMP", "TEMP"];

/**
 * The environment of a stdio server: a minimal inherited set plus the
 * server's own `env`. The gateway's environment is otherwise never passed on,
 * since it holds provider API keys.
 */
export function childEnvironment(own: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = getDefaultEnvironment();
  for (const key of EXTRA_INHERITED) {
    const value = process.env[key];
    if (value !== undefined && !value.startsWith("()")) env[key] = value;
  }
  return { ...env, ...own };
}
