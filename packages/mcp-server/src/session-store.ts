/**
 * What a client sent in its `initialize`, kept so another process can bring
 * the session back (see `McpEndpoint`): the same handshake, replayed.
 */
export interface SessionClient {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  clientInfo: { name: string; version: string } & Record<string, unknown>;
}

/** What is kept of one MCP session: enough to check who may use it, when it expires and how to revive it. */
export interface SessionRecord {
  id: string;
  owner: string;
  scope: string;
  transport: "streamable-http" | "sse";
  createdAt: number;
  lastSeenAt: number;
  /** A streamable HTTP session's handshake; without it the session lives only where it was opened. */
  client?: SessionClient;
}

/** Sent between the processes sharing a store: a client's cancel, or a session's end. */
export type SessionBroadcast =
  | {
      type: "cancelled";
      session: string;
      from: string;
      requestId: string | number;
      reason?: string;
    }
  | { type: "ended"; session: string; from: string };

/**
 * Where session records live. The memory store is the embedded default; a
 * shared one (Redis) lets every process serve every streamable HTTP
 * session. Live transports stay in the process that holds the connection.
 */
export interface SessionStore {
  create(record: SessionRecord, options?: { signal?: AbortSignal }): Promise<void>;
  get(id: string, options?: { signal?: AbortSignal }): Promise<SessionRecord | undefined>;
  touch(id: string, at: number, options?: { signal?: AbortSignal }): Promise<void>;
  delete(id: string, options?: { signal?: AbortSignal }): Promise<void>;
  count(options?: { signal?: AbortSignal }): Promise<number>;
  /** Ids of sessions not seen since `before` (epoch ms). */
  idleSince(before: number, options?: { signal?: AbortSignal }): Promise<string[]>;
  /** A shared store's message to every process using it (this one included). */
  publish?(message: SessionBroadcast): Promise<void>;
  /** Listens to `publish`; returns the unsubscribe. */
  subscribe?(listener: (message: SessionBroadcast) => void): () => void;
}

export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord>();
  private readonly listeners = new Set<(message: SessionBroadcast) => void>();

  // Records are kept frozen and replaced, never changed, so `get` (once per request) needs no copy.
  async create(record: SessionRecord): Promise<void> {
    this.records.set(record.id, deepFreeze(structuredClone(record)));
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    return this.records.get(id);
  }

  async touch(id: string, at: number): Promise<void> {
    const record = this.records.get(id);
    if (record && at > record.lastSeenAt)
      this.records.set(id, Object.freeze({ ...record, lastSeenAt: at }));
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

  async publish(message: SessionBroadcast): Promise<void> {
    for (const listener of this.listeners) listener(structuredClone(message));
  }

  subscribe(listener: (message: SessionBroadcast) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
