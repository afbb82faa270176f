/** What is kept of one MCP session: enough to check who may use it and when it expires. */
export interface SessionRecord {
  id: string;
  owner: string;
  scope: string;
  transport: "streamable-http" | "sse";
  createdAt: number;
  lastSeenAt: number;
}

/**
 * Where session records live. The memory store is the embedded default; a
 * shared one (Redis) can implement the same interface. Live transports stay
 * in the process that holds the connection.
 */
export interface SessionStore {
  create(record: SessionRecord, options?: { signal?: AbortSignal }): Promise<void>;
  get(id: string, options?: { signal?: AbortSignal }): Promise<SessionRecord | undefined>;
  touch(id: string, at: number, options?: { signal?: AbortSignal }): Promise<void>;
  delete(id: string, options?: { signal?: AbortSignal }): Promise<void>;
  count(options?: { signal?: AbortSignal }): Promise<number>;
  /** Ids of sessions not seen since `before` (epoch ms). */
  idleSince(before: number, options?: { signal?: AbortSignal }): Promise<string[]>;
}

export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord>();

  async create(record: SessionRecord): Promise<void> {
    this.records.set(record.id, { ...record });
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const record = this.records.get(id);
    return record && { ...record };
  }

  async touch(id: string, at: number): Promise<void> {
    const record = this.records.get(id);
    if (record) record.lastSeenAt = at;
  }

  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }

  async count(): Promise<number> {
    return this.records.size;
  }

  async idleSince(before: number): Promise<string[]> {
    return [...this.records.values()].filter((r) => r.lastSeenAt < before).map((r) => r.id);
  }
}
