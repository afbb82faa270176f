export { MemoryResponseStore, type MemoryResponseStoreOptions } from "./memory-response-store.js";
export type { Owner, PutOptions, ResponseStore, StoreCallOptions } from "./response-store.js";
