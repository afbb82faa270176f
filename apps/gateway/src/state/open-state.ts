import type { AiProxyConfig } from "@aiproxy/config";
import { type Logger, redactUrl } from "@aiproxy/core";
import {
  type ConfigSnapshot,
  type ConfigStore,
  createRedisClient,
  FileConfigStore,
  MemoryConfigStore,
  type Redis,
  RedisCache,
  RedisConfigStore,
  RedisResponseStore,
  RedisSessionStore,
  StoreUnavailableError,
  waitForRedis,
} from "@aiproxy/state";
import { type AdminState, emptyState, PersistError, toAdminState } from "../admin/state.js";
import type { ResponsesStore } from "../responses/store.js";

/** How long the start waits for Redis before it serves the file config instead. */
const CONNECT_WAIT_MS = 3_000;

/** Where this gateway's shared state lives, opened. */
export interface GatewayState {
  store: ConfigStore<AdminState>;
  /** The overlay to start from, and its store version (undefined: the store could not be read). */
  initial: { overlay: AdminState; version: string | null | undefined };
  /** Set when the store is Redis: the Responses store shared by replicas. */
  responseStore?: ResponsesStore;
  /** Set when the store is Redis: the Apiman probe answers shared by replicas. */
  probeCache?: RedisCache<unknown>;
  /** Set when the store is Redis: MCP endpoint sessions, so any replica serves any streamable HTTP session. */
  sessionStore?: RedisSessionStore;
  /** Turns a write failure into the client's error (the file store's PersistError). */
  writeError?: (error: unknown) => unknown;
  close(): Promise<void>;
}

/**
 * Opens the store `state:` names. The file store is today's
 * `admin.persist_path` (or memory without one). Redis unreachable at start
 * is not fatal: the gateway serves config.yaml with the file overlay, says
 * so, and converges once Redis answers (the store reads again on connect).
 */
export async function openState(config: AiProxyConfig, logger: Logger): Promise<GatewayState> {
  const persistPath = config.admin.persist_path;
  if (config.state.store !== "redis" || !config.state.redis_url) {
    const store = persistPath
      ? new FileConfigStore<AdminState>(persistPath)
      : new MemoryConfigStore<AdminState>();
    const snapshot = await store.load();
    return {
      store,
      initial: { overlay: toAdminState(snapshot.value), version: snapshot.version },
      writeError: (error) =>
        persistPath && !StoreUnavailableError.isInstance(error)
          ? new PersistError(persistPath, error)
          : error,
      close: () => store.close(),
    };
  }

  const { redis_url: url, key_prefix: keyPrefix, resync_interval } = config.state;
  const client: Redis = await createRedisClient(url);
  const store = new RedisConfigStore<AdminState>(client, {
    keyPrefix,
    resyncMs: resync_interval * 1000,
  });
  const sessionStore = new RedisSessionStore(client, { keyPrefix });
  const shownUrl = redactUrl(url);
  const fileOverlay = persistPath
    ? toAdminState((await new FileConfigStore<AdminState>(persistPath).load()).value)
    : emptyState();
  let snapshot: ConfigSnapshot<AdminState> | undefined;
  if (await waitForRedis(client, CONNECT_WAIT_MS))
    snapshot = await store.load().catch(() => undefined);
  if (snapshot)
    logger.info({ store: "redis", url: shownUrl, version: snapshot.version }, "state store: Redis");
  else
    logger.warn(
      { store: "redis", url: shownUrl },
      "Redis is unreachable at start: serving the config file until it is back, then following Redis; admin changes answer 503 meanwhile",
    );
  return {
    store,
    // An empty Redis is seeded with what is served here (the file overlay) by the first sync.
    initial:
      snapshot?.version != null
        ? { overlay: toAdminState(snapshot.value), version: snapshot.version }
        : { overlay: fileOverlay, version: snapshot ? null : undefined },
    responseStore: new RedisResponseStore(client, { keyPrefix }),
    probeCache: new RedisCache(client, { keyPrefix, namespace: "apiman-probe" }),
    sessionStore,
    async close() {
      sessionStore.close();
      await store.close();
      client.disconnect();
    },
  };
}
