import { parseConfig } from "@aiproxy/config";
import { createGateway, type Gateway, type GatewayOptions } from "../../src/gateway.js";
import { serveGateway } from "../../src/server.js";

/** A gateway on a config object, called through `app.fetch` (no socket). */
export async function gatewayFor(
  config: Record<string, unknown>,
  options: GatewayOptions = {},
): Promise<Gateway & { call(path: string, init?: RequestInit): Promise<Response> }> {
  const gateway = await createGateway(parseConfig(config, { env: {} }), {
    host: "127.0.0.1",
    ...options,
  });
  return Object.assign(gateway, {
    call: (path: string, init?: RequestInit) =>
      Promise.resolve(gateway.app.fetch(new Request(`http://127.0.0.1${path}`, init))),
  });
}

export function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

export function put(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { ...json(body, headers), method: "PUT" };
}

/** An OpenAI error body, checked for shape. */
export async function openAIError(response: Response) {
  const body = (await response.json()) as {
    error: { message: string; type: string; param: string | null; code: string | null };
  };
  return body.error;
}

/** A gateway on a real socket (127.0.0.1, free port), for clients that need one. */
export async function servedGateway(
  config: Record<string, unknown>,
  options: GatewayOptions & { requestReceiveTimeoutMs?: number } = {},
) {
  const gateway = await gatewayFor(config, options);
  const running = await serveGateway(gateway, {
    host: "127.0.0.1",
    port: 0,
    shutdownGraceMs: 2000,
    requestReceiveTimeoutMs: options.requestReceiveTimeoutMs,
  });
  return { gateway, url: running.url, server: running.server, close: () => running.shutdown() };
}
