import {
  type AuthChain,
  type AuthProvider,
  apimanGatewayProbe,
  apimanTrustedHeader,
  createAuthChain,
  type DecisionStore,
  staticKeys,
} from "@aiproxy/auth";
import type { AiProxyConfig } from "@aiproxy/config";
import type { Logger } from "@aiproxy/core";

/** The `/v1` auth chain the config asks for: static keys and/or one Apiman mode. */
export function authChainFor(
  config: AiProxyConfig,
  logger: Logger,
  /** Where probe answers are cached: shared by replicas when the state store is Redis. */
  probeCache?: DecisionStore<unknown>,
): AuthChain {
  const providers: AuthProvider[] = [];
  if (config.proxy_api_keys.length > 0) providers.push(staticKeys(config.proxy_api_keys));
  const apiman = config.apiman;
  if (apiman?.mode === "gateway_probe")
    providers.push(
      apimanGatewayProbe({
        gatewayUrl: apiman.gateway_url,
        probeApi: apiman.probe_api ?? "",
        probePath: apiman.probe_path,
        apiKeyHeader: apiman.api_key_header,
        cacheTtlMs: apiman.cache_ttl * 1000,
        cacheMaxEntries: apiman.cache_max_entries,
        timeoutMs: apiman.timeout * 1000,
        logger,
        ...(probeCache && { cacheStore: probeCache }),
      }),
    );
  if (apiman?.mode === "trusted_header")
    providers.push(apimanTrustedHeader({ header: apiman.header, secret: apiman.secret }));
  return createAuthChain(providers, { logger });
}
