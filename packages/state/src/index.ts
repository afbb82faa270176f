export {
  type CompareAndSetResult,
  type ConfigSnapshot,
  type ConfigStore,
  type ConfigStoreStatus,
  StoreUnavailableError,
} from "./config-store.js";
export { FileConfigStore, MemoryConfigStore } from "./local-config-store.js";
export { MemoryResponseStore, type MemoryResponseStoreOptions } from "./memory-response-store.js";
export { RedisCache, type RedisCacheOptions } from "./redis-cache.js";
export {
  createRedisClient,
  type Redis,
  type RedisClientOptions,
  waitForRedis,
} from "./redis-client.js";
export { RedisConfigStore, type RedisConfigStoreOptions } from "./redis-config-store.js";
export { RedisResponseStore, type RedisResponseStoreOptions } from "./redis-response-store.js";
export {
  type McpSessionBroadcast,
  type McpSessionRecord,
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from "./redis-session-store.js";
export type { Owner, PutOptions, ResponseStore, StoreCallOptions } from "./response-store.js";
