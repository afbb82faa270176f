import { deadline, type Logger, redactSecrets, silentLogger } from "@aiproxy/core";
import { DecisionCache, type DecisionStore } from "./decision-cache.js";
import { sha256 } from "./safe-equal.js";
import type { AuthDecision, AuthProvider } from "./types.js";

export interface GatewayProbeOptions {
  /** The Apiman gateway's base URL, e.g. `https://apiman.example.com/apiman-gateway`. */
  gatewayUrl: string;
  /** The managed API to probe, e.g. `org/api/1.0`. */
  probeApi: string;
  /** The path to request on it; none by default. */
  probePath?: string;
  /** The header the key goes in. Default `X-API-Key`. */
  apiKeyHeader?: string;
  /** How long an accept or a 401/403 refusal is remembered. Default 60 s; 0 disables the cache. */
  cacheTtlMs?: number;
  /** Default 10 000; the least recently used answer is evicted first. */
  cacheMaxEntries?: number;
  /** For one probe, until the response headers arrive. Default 5 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  logger?: Logger;
  /**
   * Where answers are cached instead of this process's memory, e.g. a store
   * shared by replicas; `cacheTtlMs` still sets their life (0: no cache).
   * What it gives back is checked, so a foreign value is a miss.
   */
  cacheStore?: DecisionStore<unknown>;
}

const PROVIDER = "apiman_gateway_probe";
/** Apiman keys are UUIDs; anything that cannot be sent verbatim in a header is not a key. */
const SENDABLE_KEY = /^[\x21-\x7e]{1,4096}$/;
/** Abort reason when nobody waits for a probe any more; not worth a warning. */
const ABANDONED = Symbol("abandoned");

type Outcome = { kind: "accept" } | { kind: "refuse"; status: number } | { kind: "error" };
const ERROR: Outcome = { kind: "error" };

interface Flight {
  promise: Promise<Outcome>;
  controller: AbortController;
  waiters: number;
}

/**
 * Asks the Apiman gateway whether a key may call a probe API: `GET
 * {gatewayUrl}/{probeApi}/{probePath}` with the key in `apiKeyHeader` and
 * nothing else of the caller's request. 2xx accepts, 401/403 refuses; any
 * other status, a redirect, a network error or a timeout refuses too (and is
 * logged), so Apiman being down never lets a request in.
 *
 * Accepts and 401/403 refusals are cached for `cacheTtlMs`, keyed by the
 * SHA-256 of the whole key; failures are not, so the next request asks
 * again. Concurrent requests with the same uncached key share one probe,
 * which is aborted only when every one of them has stopped waiting.
 */
export function apimanGatewayProbe(options: GatewayProbeOptions): AuthProvider {
  const url = probeUrl(options.gatewayUrl, options.probeApi, options.probePath);
  const header = options.apiKeyHeader ?? "X-API-Key";
  new Headers().get(header); // throws now, on an invalid header name, instead of per request
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetch ?? globalThis.fetch;
  const logger = options.logger ?? silentLogger;
  const cacheTtlMs = options.cacheTtlMs ?? 60_000;
  const local = new DecisionCache<Outcome>(cacheTtlMs, options.cacheMaxEntries ?? 10_000);
  const shared = cacheTtlMs > 0 ? options.cacheStore : undefined;
  const flights = new Map<string, Flight>();
  let closed = false;

  async function probe(key: string, signal: AbortSignal): Promise<Outcome> {
    const limit = deadline(timeoutMs, signal, "Apiman gateway probe");
    try {
      const response = await doFetch(url, {
        method: "GET",
        headers: { [header]: key },
        // Following a redirect would hand the key to wherever it points.
        redirect: "manual",
        signal: limit.signal,
      });
      await response.body?.cancel().catch(() => {});
      const { status } = response;
      if (status >= 200 && status < 300) return { kind: "accept" };
      if (status === 401 || status === 403) return { kind: "refuse", status };
      logger.warn({ provider: PROVIDER, url, status }, "Apiman gateway probe failed; refusing");
      return ERROR;
    } catch (error) {
      if (signal.reason !== ABANDONED) {
        logger.warn(
          { provider: PROVIDER, url, error: redactSecrets(describe(error), [key]) },
          "Apiman gateway probe failed; refusing",
        );
      }
      return ERROR;
    } finally {
      limit.clear();
    }
  }

  function startFlight(id: string, key: string): Flight {
    const controller = new AbortController();
    const flight: Flight = {
      controller,
      waiters: 0,
      promise: probe(key, controller.signal).then((outcome) => {
        if (flights.get(id) === flight) flights.delete(id);
        if (outcome.kind !== "error" && !closed) {
          if (shared) void Promise.resolve(shared.set(id, outcome, cacheTtlMs)).catch(() => {});
          else local.set(id, outcome);
        }
        return outcome;
      }),
    };
    flights.set(id, flight);
    return flight;
  }

  function join(flight: Flight, signal: AbortSignal | undefined): Promise<Outcome> {
    flight.waiters++;
    if (!signal) return flight.promise;
    return new Promise<Outcome>((resolve) => {
      const leave = () => {
        if (--flight.waiters === 0) flight.controller.abort(ABANDONED);
        resolve(ERROR);
      };
      if (signal.aborted) return leave();
      signal.addEventListener("abort", leave, { once: true });
      void flight.promise.then((outcome) => {
        signal.removeEventListener("abort", leave);
        resolve(outcome);
      });
    });
  }

  async function check(key: string, signal: AbortSignal | undefined): Promise<Outcome> {
    // The whole key's digest: keys sharing a prefix must never share an answer.
    const id = sha256(key).toString("hex");
    const cached = shared ? asOutcome(await sharedGet(id, signal)) : local.get(id);
    if (cached) return cached;
    return join(flights.get(id) ?? startFlight(id, key), signal);
  }

  async function sharedGet(id: string, signal: AbortSignal | undefined): Promise<unknown> {
    try {
      return await shared?.get(id, { signal });
    } catch {
      return undefined;
    }
  }

  return {
    name: PROVIDER,
    async authenticate({ credentials, signal }): Promise<AuthDecision> {
      if (closed) return { ok: false, reason: "the provider is closed" };
      const keys = credentials.filter((key) => SENDABLE_KEY.test(key));
      if (keys.length === 0)
        return { ok: false, reason: credentials.length ? "malformed API key" : "no API key" };
      const outcomes = await Promise.all(keys.map((key) => check(key, signal)));
      if (outcomes.some((o) => o.kind === "accept")) return { ok: true, provider: PROVIDER };
      const refusal = outcomes.find((o) => o.kind === "refuse");
      return {
        ok: false,
        reason: refusal
          ? `Apiman refused the key (${refusal.status})`
          : "the Apiman gateway could not be asked",
      };
    },
    close() {
      closed = true;
      for (const flight of flights.values()) flight.controller.abort(ABANDONED);
      flights.clear();
      local.clear();
    },
  };
}

/** A cached value from a shared store, if it is one this provider wrote. */
function asOutcome(value: unknown): Outcome | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { kind, status } = value as { kind?: unknown; status?: unknown };
  if (kind === "accept") return { kind: "accept" };
  if (kind === "refuse" && (status === 401 || status === 403)) return { kind, status };
  return undefined;
}

/** Joins the parts with exactly one slash between them, whatever slashes the config has. */
function probeUrl(gatewayUrl: string, probeApi: string, probePath = ""): string {
  const base = new URL(gatewayUrl).href.replace(/\/+$/, "");
  const api = probeApi.replace(/^\/+|\/+$/g, "");
  const path = probePath.replace(/^\/+/, "");
  return [base, api, path].filter((part) => part.length > 0).join("/");
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`;
}
