import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "@aiproxy/core";

export interface ProbeRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The key the probe sent in X-API-Key (or the configured header). */
  key: string | undefined;
  /** Resolves when the connection of this request closes, e.g. because the probe was aborted. */
  closed: Promise<void>;
}

/** A status to answer with, "hang" to never answer, or a redirect. */
export type Answer = number | "hang" | { redirect: string };

export interface FakeApiman {
  /** The gateway URL to configure, e.g. `http://127.0.0.1:1234/apiman-gateway`. */
  gatewayUrl: string;
  origin: string;
  requests: ProbeRequest[];
  /** Decides the answer per key; `() => 200` by default. */
  answer: (key: string | undefined) => Answer | Promise<Answer>;
  keyHeader: string;
  /** Resolves once `requests.length >= n`: the event itself, not a poll. */
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 standing in for the Apiman gateway. */
export async function startFakeApiman(keyHeader = "x-api-key"): Promise<FakeApiman> {
  const sockets = new Set<Socket>();
  const arrivals = new Set<() => void>();
  const fake: FakeApiman = {
    gatewayUrl: "",
    origin: "",
    requests: [],
    answer: () => 200,
    keyHeader,
    waitForRequests: (n) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (fake.requests.length < n) return;
          arrivals.delete(check);
          resolve();
        };
        arrivals.add(check);
        check();
      }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const closed = new Promise<void>((resolve) => res.on("close", resolve));
    const raw = req.headers[fake.keyHeader.toLowerCase()];
    const key = Array.isArray(raw) ? raw.join(",") : raw;
    fake.requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      key,
      closed,
    });
    for (const check of [...arrivals]) check();
    req.resume();
    void Promise.resolve(fake.answer(key)).then((answer) => {
      if (answer === "hang") return;
      if (typeof answer === "object") {
        res.writeHead(302, { location: answer.redirect }).end();
        return;
      }
      res.writeHead(answer, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: answer }));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  fake.origin = `http://127.0.0.1:${port}`;
  fake.gatewayUrl = `${fake.origin}/apiman-gateway`;
  return fake;
}

/** A URL on 127.0.0.1 where nothing listens: a port that was free a moment ago. */
/**
 * An Apiman URL whose connection is refused: port 2 is below the ephemeral
 * range, so unlike a port a test server just closed, no other process's
 * `listen(0)` can take it under load; it is not on fetch's blocked list.
 */
export const REFUSED_APIMAN_URL = "http://127.0.0.1:2/apiman-gateway";

export interface CapturedLogs {
  logger: Logger;
  entries: { level: string; data: Record<string, unknown>; message: string | undefined }[];
  /** Everything logged, serialised, to search for secrets. */
  text(): string;
}

export function captureLogger(): CapturedLogs {
  const entries: CapturedLogs["entries"] = [];
  const at =
    (level: string) =>
    (data: Record<string, unknown>, message?: string): void => {
      entries.push({ level, data, message });
    };
  return {
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
    entries,
    text: () => JSON.stringify(entries),
  };
}

/** A request to the proxy, as a client would send it. */
export function clientRequest(headers: Record<string, string> = {}, query = ""): Request {
  return new Request(`http://127.0.0.1:8080/v1/chat/completions${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: "{}",
  });
}

/** What `authenticate()` gets for a client request sending `key` as a Bearer token. */
export function withKey(key: string): { request: Request; credentials: string[] } {
  return {
    request: clientRequest({ authorization: `Bearer ${key}` }),
    credentials: [key],
  };
}
