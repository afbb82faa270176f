import type { AiProxyConfig } from "@aiproxy/config";
import { ConflictError, type Logger } from "@aiproxy/core";
import type { ConfigSnapshot, ConfigStore, ConfigStoreStatus } from "@aiproxy/state";
import {
  type AdminState,
  applyState,
  emptyState,
  SECTIONS,
  type Section,
  toAdminState,
  withChange,
} from "../admin/state.js";
import type { Registry } from "../registry/registry.js";

/** Entries an admin change puts (normalized) or deletes (null), by section. */
export type Change = Partial<Record<Section, Record<string, unknown>>>;

/** What an admin change is, worked out against the config live now. */
export interface Planned {
  /** The whole config after the change, checked: what goes live here. */
  next: AiProxyConfig;
  change: Change;
}

export interface ConfigSyncOptions {
  store: ConfigStore<AdminState>;
  registry: Registry;
  /** config.yaml as loaded: the admin overlay is applied over it. */
  base: AiProxyConfig;
  /** Named in errors about the overlay. */
  source: string;
  logger: Logger;
  /** The overlay the registry was opened with, and the store version it came from (if any). */
  overlay: AdminState;
  version: string | null | undefined;
  /** Wraps a store write failure (not a 503 or a conflict) for the client, e.g. PersistError. */
  writeError?: (error: unknown) => unknown;
}

/** How many times a change is worked out again when another writer got in first. */
const MAX_ATTEMPTS = 50;

/**
 * Keeps the registry equal to the config store. An admin change is saved by
 * compare-and-set against the version this replica has applied, then applied
 * from the store's change feed the way every other replica applies it; a
 * writer that lost the race catches up and works its change out again, so
 * no update is lost and none lands on a state its author did not check.
 */
export class ConfigSync {
  readonly #store: ConfigStore<AdminState>;
  readonly #registry: Registry;
  readonly #base: AiProxyConfig;
  readonly #options: ConfigSyncOptions;
  readonly #logger: Logger;
  #overlay: AdminState;
  /** The store version applied; undefined until the store was read once (it was away at start). */
  #version: string | null | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #refreshQueued = false;
  readonly #unwatch: () => void;
  readonly #unwatchStatus: () => void;

  constructor(options: ConfigSyncOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#registry = options.registry;
    this.#base = options.base;
    this.#logger = options.logger;
    this.#overlay = options.overlay;
    this.#version = options.version;
    // A snapshot from the feed may be older than what is live by the time its turn comes
    // (this replica's own write, or one it caught up with): it only says "read again".
    this.#unwatch = this.#store.watch(() => this.#refreshSoon());
    // What changed between the caller's read and this watch had no listener: read once now.
    this.#refreshSoon();
    this.#unwatchStatus = this.#store.watchStatus((status) => {
      if (status.connected) this.#logger.info({ store: status.kind }, "state store connected");
      else
        this.#logger.warn(
          { store: status.kind, error: status.error },
          "state store disconnected: serving the last config; admin changes answer 503 until it is back",
        );
    });
  }

  /** The store version live here: an ETag for the whole config. */
  get version(): string | null | undefined {
    return this.#version;
  }

  status(): ConfigStoreStatus & { version: string | null } {
    return { ...this.#store.status(), version: this.#version ?? null };
  }

  /**
   * Saves and applies one admin change. `plan` sees the config live now and
   * throws what is wrong with the change (a 4xx, or a 412 for a stale
   * If-Match); it runs again, on the newer config, each time another writer
   * got in first. A change that cannot go live here (a backend that fails to
   * start) is taken back out of the store.
   */
  commit(plan: (current: AiProxyConfig) => Planned, signal?: AbortSignal): Promise<AiProxyConfig> {
    return this.#enqueue(async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const { next, change } = plan(this.#registry.config);
        const overlay = withChange(this.#overlay, change);
        const result = await this.#write(this.#version ?? null, overlay, signal);
        if (!result.ok) {
          await this.#follow(result.current);
          continue;
        }
        const previous = { overlay: this.#overlay, version: this.#version };
        this.#overlay = overlay;
        this.#version = result.version;
        try {
          await this.#registry.update(() => next);
        } catch (error) {
          await this.#undo(result.version, previous);
          throw error;
        }
        return next;
      }
      throw new ConflictError({
        message: `The config changed ${MAX_ATTEMPTS} times while this change was being saved; try again`,
      });
    });
  }

  async #write(expected: string | null, overlay: AdminState, signal?: AbortSignal) {
    try {
      return await this.#store.compareAndSet(expected, overlay, { signal });
    } catch (error) {
      throw this.#options.writeError?.(error) ?? error;
    }
  }

  async #undo(
    version: string,
    previous: { overlay: AdminState; version: string | null | undefined },
  ) {
    try {
      const undone = await this.#store.compareAndSet(version, previous.overlay);
      if (undone.ok) {
        this.#overlay = previous.overlay;
        this.#version = undone.version;
      } else await this.#follow(undone.current);
    } catch (undo) {
      this.#logger.error(
        { err: String(undo) },
        "could not take a change that failed to apply back out of the state store",
      );
    }
  }

  /** Applies what the store holds, unless it is what is live already. */
  async #follow(snapshot: ConfigSnapshot<AdminState>): Promise<void> {
    if (snapshot.version === null) {
      // Nothing there and nothing to give: a new store, before any change.
      if (this.#version === null && isEmptyOverlay(this.#overlay)) return;
      return this.#seed();
    }
    if (snapshot.version === this.#version) return;
    const overlay = toAdminState(snapshot.value);
    let next: AiProxyConfig;
    try {
      next = applyState(this.#base, overlay, this.#options.source);
    } catch (error) {
      this.#logger.error(
        { version: snapshot.version, err: String(error) },
        "the shared config does not apply over this replica's config file; keeping the current one",
      );
      this.#version = snapshot.version;
      return;
    }
    this.#version = snapshot.version;
    this.#overlay = overlay;
    try {
      await this.#registry.update(() => next);
      this.#logger.info(
        { version: snapshot.version },
        "config change applied from the state store",
      );
    } catch (error) {
      this.#logger.error(
        { version: snapshot.version, err: String(error) },
        "a config change from the state store failed to apply; keeping the current one",
      );
    }
  }

  /**
   * The store holds nothing: it is new, or it lost its data (a Redis
   * restarted without persistence). What this replica serves goes in, so
   * no change an admin was told is saved is lost; a replica that seeds
   * second finds the first one's and follows it.
   */
  async #seed(): Promise<void> {
    const result = await this.#store.compareAndSet(null, this.#overlay).catch((error: unknown) => {
      this.#logger.warn(
        { err: String(error) },
        "could not seed the state store; trying at the next resync",
      );
      return undefined;
    });
    if (!result) return;
    if (result.ok) {
      this.#version = result.version;
      this.#logger.info(
        { version: result.version },
        "state store seeded with the config served here",
      );
    } else await this.#follow(result.current);
  }

  #refreshSoon(): void {
    if (this.#refreshQueued) return;
    this.#refreshQueued = true;
    void this.#enqueue(async () => {
      this.#refreshQueued = false;
      const latest = await this.#store.load().catch(() => undefined); // away: the status says so
      if (latest) await this.#follow(latest);
    });
  }

  #enqueue<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(run);
    this.#queue = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    this.#unwatch();
    this.#unwatchStatus();
    await this.#queue;
  }
}

function isEmptyOverlay(overlay: AdminState): boolean {
  return SECTIONS.every((section) => Object.keys(overlay[section]).length === 0);
}

export { emptyState };
