import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type {
  CompareAndSetResult,
  ConfigSnapshot,
  ConfigStore,
  ConfigStoreStatus,
} from "./config-store.js";
import type { StoreCallOptions } from "./response-store.js";

/**
 * A config store for one process: in memory, or in a JSON file (the embedded
 * default, `admin.persist_path`). Writes are serialized here, so a
 * compare-and-set cannot interleave with another; `watch` hears this
 * process's own writes only.
 */
abstract class LocalConfigStore<T> implements ConfigStore<T> {
  #queue: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<(snapshot: ConfigSnapshot<T>) => void>();
  abstract readonly kind: "file" | "redis";

  protected abstract read(): Promise<ConfigSnapshot<T>>;
  protected abstract write(value: T): Promise<string>;

  load(options?: StoreCallOptions): Promise<ConfigSnapshot<T>> {
    options?.signal?.throwIfAborted();
    return this.read();
  }

  compareAndSet(
    expected: string | null,
    value: T,
    options?: StoreCallOptions,
  ): Promise<CompareAndSetResult<T>> {
    const run = this.#queue.then(async (): Promise<CompareAndSetResult<T>> => {
      options?.signal?.throwIfAborted();
      const current = await this.read();
      if (current.version !== expected) return { ok: false, current };
      const version = await this.write(value);
      for (const listener of [...this.#listeners]) listener({ version, value });
      return { ok: true, version };
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  watch(listener: (snapshot: ConfigSnapshot<T>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  watchStatus(): () => void {
    return () => {}; // always connected
  }

  status(): ConfigStoreStatus {
    return { kind: this.kind, connected: true };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#queue;
  }
}

/** Holds the config in this process only: it lasts until the process exits. */
export class MemoryConfigStore<T> extends LocalConfigStore<T> {
  readonly kind = "file" as const;
  #snapshot: ConfigSnapshot<T> = { version: null, value: undefined };

  protected async read(): Promise<ConfigSnapshot<T>> {
    return this.#snapshot;
  }

  protected async write(value: T): Promise<string> {
    const version = randomBytes(8).toString("hex");
    this.#snapshot = { version, value };
    return version;
  }
}

/**
 * The config as a JSON file. Its version is the digest of the file's bytes,
 * so it survives a restart and changes with any edit. A write leaves either
 * the old file or the new one whatever happens: a temp file beside it,
 * fsynced, renamed over, directory fsynced; owner-only, since entries may
 * hold API keys.
 */
export class FileConfigStore<T> extends LocalConfigStore<T> {
  readonly kind = "file" as const;
  readonly path: string;

  constructor(path: string) {
    super();
    this.path = path;
  }

  protected async read(): Promise<ConfigSnapshot<T>> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        return { version: null, value: undefined };
      throw error;
    }
    return { version: digest(text), value: JSON.parse(text) as T };
  }

  protected async write(value: T): Promise<string> {
    const text = `${JSON.stringify(value, null, 2)}\n`;
    await writeAtomically(this.path, text);
    return digest(text);
  }
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const file = await open(temp, "wx", 0o600);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
