import { adminKey, apiKey } from "./session.js";

/** A gateway answer that was not a success, or no answer at all, in words. */
export class GatewayError extends Error {
  readonly code: string;
  constructor(
    message: string,
    readonly status: number,
    code: string | undefined,
    readonly param?: string,
  ) {
    super(message);
    this.name = "GatewayError";
    this.code = code ?? (status === 0 ? "network_error" : `http_${status}`);
  }
  static isInstance(value: unknown): value is GatewayError {
    return value instanceof Error && value.name === "GatewayError";
  }
}

/** What the console says about a status the gateway sent without a body it could read. */
const STATUS_WORDS: Record<number, string> = {
  401: "The gateway refused the key (401): sign in with the admin key.",
  403: "The gateway refused this request (403).",
  404: "Not found (404).",
  429: "Too many requests (429): try again shortly.",
  502: "The upstream model could not be reached (502).",
  503: "The gateway or its upstream is unavailable (503).",
  504: "The upstream did not answer in time (504).",
};

export async function toGatewayError(response: Response): Promise<GatewayError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { message?: string; code?: string; param?: string } })?.error;
  const words = STATUS_WORDS[response.status] ?? `The gateway answered ${response.status}.`;
  const message =
    response.status === 401 ? `${words} ${error?.message ?? ""}`.trim() : (error?.message ?? words);
  return new GatewayError(message, response.status, error?.code, error?.param ?? undefined);
}

export function networkError(cause: unknown): GatewayError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new GatewayError(`The gateway cannot be reached (${why}).`, 0, "network_error");
}

type Audience = "admin" | "api";

function headers(audience: Audience, extra?: HeadersInit): Headers {
  const result = new Headers(extra);
  const key = audience === "admin" ? adminKey() : apiKey();
  if (key) result.set("authorization", `Bearer ${key}`);
  return result;
}

/** A request to the gateway: the response when it is a success, else a GatewayError. */
export async function request(
  path: string,
  init: RequestInit & { audience?: Audience } = {},
): Promise<Response> {
  const { audience = "admin", ...rest } = init;
  let response: Response;
  try {
    response = await fetch(path, {
      ...rest,
      headers: headers(audience, rest.headers),
      credentials: "omit",
    });
  } catch (error) {
    if (rest.signal?.aborted) throw error;
    throw networkError(error);
  }
  if (!response.ok) throw await toGatewayError(response);
  return response;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await request(path, { signal })).json() as Promise<T>;
}

export async function sendJson<T>(
  method: "PUT" | "POST" | "DELETE",
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const response = await request(path, {
    method,
    signal,
    headers: body === undefined ? undefined : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json() as Promise<T>;
}

export interface McpStatus {
  name: string;
  transport: string;
  state: string;
  toolCount: number;
  restarts: number;
  lastError?: string;
  pid?: number;
}
export interface McpEntry extends Record<string, unknown> {
  name: string;
  transport: string;
  status: McpStatus;
}
export interface Tool {
  name: string;
  description?: string;
  inputSchema: JsonSchema;
}
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
  items?: JsonSchema;
}
export interface List<T> {
  data: T[];
}
