import { abortError, type Logger, redactSecrets, silentLogger } from "@aiproxy/core";
import { extractCredentials } from "./credentials.js";
import type { AuthDecision, AuthProvider } from "./types.js";

export interface AuthChain {
  /** No providers: every request is accepted (the gateway should warn at start). */
  readonly open: boolean;
  /**
   * Resolves with the first acceptance, or a refusal once every provider
   * refused. Rejects with core's `AbortedError` (or the signal's own
   * `AiProxyError` reason) only when `signal` aborts first.
   */
  authenticate(request: Request, options?: { signal?: AbortSignal }): Promise<AuthDecision>;
  /** Closes every provider. */
  close(): void;
}

/** The provider name of the decision an open chain returns. */
const OPEN = "open";

/**
 * Combines providers so that any one accepting is enough. They run
 * concurrently; as soon as one accepts, the others' signal aborts so their
 * pending work (a probe no one else waits for) stops. A provider that throws
 * counts as a refusal and is logged, with the request's credentials
 * redacted from the message.
 *
 * A refusal's `reason` is safe to show the caller: it says whether a key was
 * missing or not accepted, never which provider refused or why.
 */
export function createAuthChain(
  providers: readonly AuthProvider[],
  options: { logger?: Logger } = {},
): AuthChain {
  const logger = options.logger ?? silentLogger;
  const list = [...providers];

  async function attempt(
    provider: AuthProvider,
    request: Request,
    credentials: readonly string[],
    signal: AbortSignal,
  ): Promise<AuthDecision> {
    try {
      return await provider.authenticate({ request, credentials, signal });
    } catch (error) {
      if (!signal.aborted) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        logger.warn(
          { provider: provider.name, error: redactSecrets(message, credentials) },
          "auth provider failed; counting it as a refusal",
        );
      }
      return { ok: false, reason: `${provider.name} failed` };
    }
  }

  return {
    open: list.length === 0,
    authenticate(request, { signal } = {}) {
      if (list.length === 0) return Promise.resolve({ ok: true, provider: OPEN });
      if (signal?.aborted) return Promise.reject(abortError(signal));
      const credentials = extractCredentials(request);
      const controller = new AbortController();
      return new Promise<AuthDecision>((resolve, reject) => {
        let pending = list.length;
        const refusals: string[] = [];
        const finish = (settle: () => void) => {
          signal?.removeEventListener("abort", onAbort);
          controller.abort();
          settle();
        };
        const onAbort = () => finish(() => reject(abortError(signal)));
        signal?.addEventListener("abort", onAbort, { once: true });
        for (const provider of list) {
          void attempt(provider, request, credentials, controller.signal).then((decision) => {
            if (controller.signal.aborted) return;
            if (decision.ok) return finish(() => resolve(decision));
            refusals.push(`${provider.name}: ${decision.reason}`);
            if (--pending > 0) return;
            const detail = redactSecrets(refusals.join("; "), credentials);
            logger.debug({ refusals: detail }, "request refused by every auth provider");
            finish(() =>
              resolve({
                ok: false,
                reason: credentials.length === 0 ? "Missing API key" : "Invalid API key",
              }),
            );
          });
        }
      });
    },
    close() {
      for (const provider of list) {
        try {
          provider.close?.();
        } catch (error) {
          logger.warn(
            { provider: provider.name, error: String(error) },
            "auth provider close failed",
          );
        }
      }
    },
  };
}
