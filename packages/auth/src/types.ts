/** What a provider sees of one request. */
export interface AuthContext {
  request: Request;
  /** From `extractCredentials`: de-duplicated, never empty strings. */
  credentials: readonly string[];
  /** Aborts when the caller gives up or another provider already accepted. */
  signal?: AbortSignal;
}

export type AuthDecision =
  | {
      ok: true;
      provider: string;
      /**
       * Which of the provider's keys matched, for providers that hold a list
       * (`staticKeys`: the index in the list it was given), so a caller can look
       * up what that key may do. Never the key itself.
       */
      keyIndex?: number;
    }
  | { ok: false; reason: string };

/** One way of accepting a request. A provider refuses rather than throws; a throw counts as a refusal. */
export interface AuthProvider {
  readonly name: string;
  authenticate(context: AuthContext): Promise<AuthDecision>;
  /** Releases timers, caches and in-flight work. */
  close?(): void;
}
