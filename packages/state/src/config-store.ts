import { AiProxyError } from "@aiproxy/core";
import type { StoreCallOptions } from "./response-store.js";

/**
 * What a config store holds at one moment. `version` is an opaque token that
 * changes on every write (never a counter: a store that lost its data and
 * was seeded again must not reuse a version a reader already saw); null
 * when the store holds nothing yet.
 */
export interface ConfigSnapshot<T> {
  version: string | null;
  value: T | undefined;
}

/** A compare-and-set's answer: the new version, or what the store holds instead. */
export type CompareAndSetResult<T> =
  | { ok: true; version: string }
  | { ok: false; current: ConfigSnapshot<T> };

export interface ConfigStoreStatus {
  kind: "file" | "redis";
  /** False while the store cannot be reached: reads serve the last state, writes fail. */
  connected: boolean;
  /** Why it is not connected, when it is not. */
  error?: string;
}

/**
 * The live config's source of truth, shared by every replica that opens the
 * same store. Writers compare-and-set against the version they read; every
 * replica, the writer included, learns of a change from `watch`.
 */
export interface ConfigStore<T> {
  load(options?: StoreCallOptions): Promise<ConfigSnapshot<T>>;
  /**
   * Writes `value` if the store still holds `expected` (null: holds nothing).
   * Throws StoreUnavailableError when the store cannot be reached.
   */
  compareAndSet(
    expected: string | null,
    value: T,
    options?: StoreCallOptions,
  ): Promise<CompareAndSetResult<T>>;
  /**
   * Calls `listener` with each snapshot whose version differs from the last
   * one it was given (or, for the first call, from the version loaded when it
   * started watching). Returns the unsubscribe function.
   */
  watch(listener: (snapshot: ConfigSnapshot<T>) => void): () => void;
  /** Calls `listener` whenever `status()` changes. */
  watchStatus(listener: (status: ConfigStoreStatus) => void): () => void;
  status(): ConfigStoreStatus;
  close(): Promise<void>;
}

/** 503: the shared store cannot be reached, so nothing can be saved now. */
export class StoreUnavailableError extends AiProxyError {
  declare readonly code: "store_unavailable";

  constructor(what: string, cause?: unknown) {
    const reason = cause instanceof Error ? `: ${cause.message}` : "";
    super("store_unavailable", 503, "server_error", {
      message: `The state store (${what}) cannot be reached${reason}; nothing was saved, try again once it is back`,
      cause,
      headers: { "retry-after": "1" },
    });
    this.name = "StoreUnavailableError";
  }

  static override isInstance(error: unknown): error is StoreUnavailableError {
    return AiProxyError.isInstance(error) && error.code === "store_unavailable";
  }
}
