import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { AbortedError, sleep, TimeoutError } from "@aiproxy/core";
import { listenHttp } from "@aiproxy/demo";
import { anthropicWire } from "./anthropic-wire.js";
import { ids } from "./ids.js";
import { openaiWire } from "./openai-wire.js";
import { resolveTurn, TurnScript } from "./script.js";
import type {
  RecordedRequest,
  Responder,
  ScriptedUpstream,
  ScriptedUpstreamOptions,
  Turn,
} from "./types.js";
import type { ResponseContext, Wire } from "./wire.js";

type StreamFault = { kind: "stall" | "drop" | "error"; after: number };

/** The earliest of the scripted stream faults wins when a turn sets several. */
function streamFaultOf(turn: Turn): StreamFault | undefined {
  const faults: StreamFault[] = [];
  if (turn.stallAfterChunks !== undefined)
    faults.push({ kind: "stall", after: turn.stallAfterChunks });
  if (turn.dropAfterChunks !== undefined)
    faults.push({ kind: "drop", after: turn.dropAfterChunks });
  if (turn.errorEventAfterChunks !== undefined) {
    faults.push({ kind: "error", after: turn.errorEventAfterChunks });
  }
  return faults.sort((a, b) => a.after - b.after)[0];
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** Requests carrying Anthropic's headers are answered in its dialect where the path does not decide. */
function wireByHeaders(headers: Record<string, string>): Wire {
  return headers["anthropic-version"] || headers["x-api-key"] ? anthropicWire : openaiWire;
}

function routeOf(method: string, path: string, headers: Record<string, string>) {
  const route = path.replace(/^\/v1(?=\/)/, "").replace(/\/+$/, "");
  if (method === "POST" && route === "/chat/completions")
    return { kind: "chat", wire: openaiWire } as const;
  if (method === "POST" && route === "/messages")
    return { kind: "chat", wire: anthropicWire } as const;
  if (method === "GET" && route === "/models")
    return { kind: "models", wire: wireByHeaders(headers) } as const;
  return { kind: "unknown", wire: wireByHeaders(headers) } as const;
}

function readBody(req: IncomingMessage, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
    signal.addEventListener("abort", () => reject(new AbortedError("client went away")), {
      once: true,
    });
  });
}

/** Waits `ms`; false when the client went away (or the server closed) meanwhile. */
async function pause(ms: number | undefined, signal: AbortSignal): Promise<boolean> {
  if (!ms || ms <= 0) return !signal.aborted;
  try {
    await sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once the chunk is handed to the socket, or at once if the socket is gone. */
function write(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    res.write(chunk, () => resolve());
  });
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Waits for a turn's `hold` to settle; false when the client went away (or the server closed) meanwhile. */
async function held(turn: Turn, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  turn.onWait?.();
  const released = Promise.resolve(turn.hold).then(
    () => true,
    () => true,
  );
  return Promise.race([released, untilAborted(signal).then(() => false)]);
}

/** Writes SSE frames paced by `chunkDelayMs`, then ends, stalls, drops or errors as scripted. */
async function writeStream(
  res: ServerResponse,
  frames: string[],
  turn: Turn,
  errorFrame: string,
  signal: AbortSignal,
): Promise<void> {
  const fault = streamFaultOf(turn);
  const sendCount = fault ? Math.min(fault.after, frames.length) : frames.length;
  const holdAt =
    turn.hold !== undefined && turn.holdAfterChunks !== undefined
      ? Math.min(turn.holdAfterChunks, frames.length)
      : undefined;
  for (let i = 0; i < sendCount; i++) {
    if (i === holdAt && !(await held(turn, signal))) return;
    if (!(await pause(i > 0 ? turn.chunkDelayMs : 0, signal))) return;
    await write(res, frames[i]!);
  }
  if (holdAt === sendCount && fault?.kind !== "stall" && !(await held(turn, signal))) return;
  switch (fault?.kind) {
    case "stall":
      turn.onWait?.();
      await untilAborted(signal);
      res.destroy();
      return;
    case "drop":
      res.destroy();
      return;
    case "error":
      if (!(await pause(sendCount > 0 ? turn.chunkDelayMs : 0, signal))) return;
      await write(res, errorFrame);
      res.end();
      return;
    case undefined:
      res.end();
  }
}

/** Starts one HTTP server that speaks both the OpenAI and the Anthropic wire formats. */
export async function startScriptedUpstream(
  options: ScriptedUpstreamOptions = {},
): Promise<ScriptedUpstream> {
  const script = new TurnScript(options.fallback);
  if (options.script) script.enqueue(options.script);
  const requests: RecordedRequest[] = [];
  const requestListeners = new Set<() => void>();
  const closeListeners = new Set<() => void>();
  const sockets = new Set<Socket>();
  const inFlight = new Set<AbortController>();
  const idleListeners = new Set<() => void>();
  const systemFingerprint = ids.systemFingerprint();
  let closing: Promise<void> | undefined;

  const server = createServer((req, res) => {
    // Aborts pending delays, chunk pauses and stalls once the client goes away or we close.
    const controller = new AbortController();
    inFlight.add(controller);
    res.once("close", () => {
      controller.abort();
      inFlight.delete(controller);
      if (inFlight.size === 0) for (const listener of idleListeners) listener();
    });
    handle(req, res, controller.signal).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ error: { message: "scripted upstream failed", type: "server_error" } }),
        );
      } else {
        res.destroy();
      }
    });
  });
  const drainListeners = new Set<() => void>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const listener of drainListeners) listener();
    });
  });
  // The server's own close callback can run before the sockets' "close" events.
  const socketsDrained = () =>
    new Promise<void>((resolve) => {
      if (sockets.size === 0) return resolve();
      drainListeners.add(resolve);
    });

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal) {
    const startedAt = performance.now();
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const headers = flattenHeaders(req);
    const { kind, wire } = routeOf(method, path, headers);
    const requestId = wire.newRequestId();
    const send = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      if (res.destroyed) return;
      const json = JSON.stringify(body);
      res.writeHead(status, {
        ...wire.baseHeaders(requestId, performance.now() - startedAt),
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(json)),
        ...extra,
      });
      res.end(json);
    };
    const authFailure = () =>
      options.requireApiKey === undefined
        ? undefined
        : wire.authenticate(headers, options.requireApiKey, requestId);

    const raw = await readBody(req, signal);
    if (kind === "unknown") {
      const reply = wire.errorReply(
        404,
        requestId,
        `Invalid URL (${method} ${path})`,
        "invalid_request_error",
      );
      return send(reply.status, reply.body);
    }
    if (kind === "models") {
      const denied = authFailure();
      return denied ? send(denied.status, denied.body) : send(200, wire.models());
    }

    let body: RecordedRequest["body"] = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Kept as text: the validation below answers with the provider's 400.
    }
    const recorded: RecordedRequest = {
      wire: wire.name,
      method,
      path,
      headers,
      body,
      receivedAt: Date.now(),
    };
    requests.push(recorded);
    for (const listener of requestListeners) listener();

    const rejected = authFailure() ?? wire.validate(body, requestId);
    if (rejected) return send(rejected.status, rejected.body);

    let turn: Turn;
    try {
      turn = await script.next(recorded);
    } catch (error) {
      const message = `scripted responder threw: ${error instanceof Error ? error.message : String(error)}`;
      const reply = wire.errorReply(500, requestId, message);
      return send(reply.status, reply.body);
    }

    if (!(await pause(turn.delayMs, signal))) return;
    const holdsHeaders =
      turn.hold !== undefined && (body.stream !== true || turn.holdAfterChunks === undefined);
    if (holdsHeaders && !(await held(turn, signal))) return;

    const turnHeaders: Record<string, string> = { ...turn.headers };
    if (turn.retryAfter !== undefined) turnHeaders["retry-after"] = String(turn.retryAfter);
    if (turn.status !== undefined && turn.status >= 400) {
      const reply = wire.errorReply(turn.status, requestId, turn.errorMessage, turn.errorType);
      return send(reply.status, reply.body, turnHeaders);
    }

    const resolved = resolveTurn(turn, recorded, wire.newToolCallId);
    const context: ResponseContext = {
      requestId,
      created: Math.floor(Date.now() / 1000),
      systemFingerprint,
      includeUsage: body.stream_options?.include_usage === true,
    };
    const status = turn.status ?? 200;

    if (body.stream !== true) {
      const fault = streamFaultOf(turn);
      if (fault?.kind === "stall" || fault?.kind === "drop") {
        // A truncated body: the headers promise more than ever arrives.
        const json = JSON.stringify(wire.completion(resolved, context));
        res.writeHead(status, {
          ...wire.baseHeaders(requestId, performance.now() - startedAt),
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(json)),
          ...turnHeaders,
        });
        await write(res, json.slice(0, Math.floor(json.length / 2)));
        if (fault.kind === "stall") {
          turn.onWait?.();
          await untilAborted(signal);
        }
        res.destroy();
        return;
      }
      return send(status, wire.completion(resolved, context), turnHeaders);
    }

    res.writeHead(status, {
      ...wire.baseHeaders(requestId, performance.now() - startedAt),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...turnHeaders,
    });
    res.flushHeaders();
    const errorFrame = wire.streamErrorFrame(requestId, turn.errorMessage, turn.errorType);
    await writeStream(res, wire.streamFrames(resolved, context), turn, errorFrame, signal);
  }

  const host = options.host ?? "127.0.0.1";
  const url = await listenHttp(server, host, options.port ?? 0);

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: `${url}/v1`,
    requests,
    enqueue: (...turns: Array<Turn | Responder>) => script.enqueue(turns),
    setFallback: (responder: Responder) => script.setFallback(responder),
    openConnections: () => sockets.size,
    activeRequests: () => inFlight.size,

    waitForRequests(n, timeoutMs = 5_000) {
      if (requests.length >= n) return Promise.resolve();
      if (closing) return Promise.reject(new AbortedError("scripted upstream is closed"));
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (requests.length < n) return;
          done();
          resolve();
        };
        const onClose = () => {
          done();
          reject(new AbortedError("scripted upstream closed while waiting for requests"));
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new TimeoutError(
              `expected ${n} request(s) within ${timeoutMs} ms, received ${requests.length}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          requestListeners.delete(check);
          closeListeners.delete(onClose);
        };
        requestListeners.add(check);
        closeListeners.add(onClose);
      });
    },

    waitForIdle(timeoutMs = 5_000) {
      if (inFlight.size === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onIdle = () => {
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new TimeoutError(
              `expected no response in flight within ${timeoutMs} ms, ${inFlight.size} still open`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          idleListeners.delete(onIdle);
        };
        idleListeners.add(onIdle);
      });
    },

    close() {
      closing ??= (async () => {
        for (const listener of closeListeners) listener();
        for (const controller of inFlight) controller.abort();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await Promise.all([stopped, socketsDrained()]);
      })();
      return closing;
    },
  };
}
