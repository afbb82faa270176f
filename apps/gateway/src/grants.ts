import type { AuthDecision } from "@aiproxy/auth";
import type { AiProxyConfig } from "@aiproxy/config";
import type { Caller } from "./env.js";
import type { AssistantLease, Registry } from "./registry/registry.js";
import { unknownModel } from "./registry/registry.js";

/** What a proxy key with a grant may use; absent limits mean everything. */
export interface Grant {
  /** `/v1` models and `/mcp/{assistant}`. */
  assistants?: ReadonlySet<string>;
  /** The aggregate `/mcp` and `/sse`, sorted (it names their scope). */
  mcpServers?: readonly string[];
}

/**
 * The grant of the key a request was accepted with, by the static-keys
 * provider's `keyIndex` into `proxy_api_keys`: built once from the config the
 * auth chain was built from, so a request costs an array read. Other
 * providers (Apiman) decide access themselves and get no grant.
 */
export function grantLookup(
  config: AiProxyConfig,
): (decision: Extract<AuthDecision, { ok: true }>) => Grant | undefined {
  const byKey = new Map(config.api_key_grants.map((grant) => [grant.key, grant]));
  if (byKey.size === 0) return () => undefined;
  const byIndex = config.proxy_api_keys.map((key): Grant | undefined => {
    const grant = byKey.get(key);
    if (!grant) return undefined;
    return {
      ...(grant.assistants && { assistants: new Set(grant.assistants) }),
      ...(grant.mcp_servers && { mcpServers: [...new Set(grant.mcp_servers)].sort() }),
    };
  });
  return (decision) =>
    decision.provider === "static_keys" && decision.keyIndex !== undefined
      ? byIndex[decision.keyIndex]
      : undefined;
}

/** Whether the caller may use the assistant: no grant, or one naming it. */
export function mayUse(caller: Caller | undefined, assistant: string): boolean {
  const allowed = caller?.grant?.assistants;
  return allowed === undefined || allowed.has(assistant);
}

/**
 * `registry.acquire` for a caller: an assistant outside its grant is answered
 * exactly as one that does not exist, so a grant does not reveal what does.
 */
export function acquireFor(
  registry: Registry,
  caller: Caller | undefined,
  assistant: string,
): AssistantLease {
  if (!mayUse(caller, assistant)) throw unknownModel(assistant);
  return registry.acquire(assistant);
}
