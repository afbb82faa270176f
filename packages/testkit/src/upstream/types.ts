/** One tool call the scripted model makes. `arguments` as a string is sent verbatim (use it to script invalid JSON). */
export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown> | string;
  /** Defaults to a fresh `call_...` (OpenAI) or `toolu_...` (Anthropic) id. */
  id?: string;
}

/** What the scripted model answers to one chat request, and how the transport misbehaves. */
export interface Turn {
  text?: string;
  /** Anthropic: a `thinking` block with a signature. OpenAI: a `reasoning_content` field. */
  reasoning?: string;
  toolCalls?: ScriptedToolCall[];
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: "stop" | "length" | "tool_calls" | "content_filter";
  /**
   * `promptTokens` counts the whole prompt, cached tokens included (OpenAI's meaning);
   * on the Anthropic wire `input_tokens` is what is left after the cache counts.
   * Default: an estimate of about four characters per token.
   */
  usage?: {
    promptTokens: number;
    completionTokens: number;
    cachedTokens?: number;
    cacheCreationTokens?: number;
  };

  /** HTTP status of an error response (>= 400) with the provider's error body. */
  status?: number;
  errorMessage?: string;
  errorType?: string;
  /** Seconds, sent as `retry-after`. */
  retryAfter?: number;
  /** Extra response headers, on success and error alike. */
  headers?: Record<string, string>;
  /** Wait before sending the status line and headers. */
  delayMs?: number;
  /** Wait between stream events. */
  chunkDelayMs?: number;
  /** Stream: send N events, then nothing more until the client goes away. */
  stallAfterChunks?: number;
  /** Stream: send N events, then destroy the socket. */
  dropAfterChunks?: number;
  /** Stream: send N events, then the provider's in-stream error event, then end. */
  errorEventAfterChunks?: number;
  /** Characters per text (and tool-argument) delta; default splits text by words. */
  textChunkSize?: number;
  /**
   * Fields added at the top level of a non-streamed response body, e.g.
   * `{x_needle: {confidence: 0.9}}` as a tool-deciding model reports it.
   */
  topLevel?: Record<string, unknown>;

  /**
   * A hold/release knob: the response waits until this settles (or the client
   * goes away). It holds the status line (after `delayMs`), or, with
   * `holdAfterChunks`, a stream after that many events.
   */
  hold?: PromiseLike<unknown>;
  /** Stream: with `hold`, send N events, then wait for it before sending the rest. */
  holdAfterChunks?: number;
  /**
   * Called when the response starts to wait on `hold` or on a stall, once
   * everything before it was handed to the socket: the moment after which it
   * sends nothing until released (or, for a stall, ever).
   */
  onWait?: () => void;
}

export interface RecordedRequest {
  wire: "openai" | "anthropic";
  method: string;
  path: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The parsed JSON body (or the raw text when it was not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON of either wire; tests index into it freely.
  body: any;
  receivedAt: number;
}

export type Responder = (request: RecordedRequest) => Turn | Promise<Turn>;

export interface ScriptedUpstream {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `${url}/v1`, the base URL an OpenAI client uses. */
  openaiBaseUrl: string;
  /** `${url}/v1`; the official Anthropic SDK instead takes `baseURL: url`. */
  anthropicBaseUrl: string;
  /** Every chat request received, in arrival order. */
  requests: RecordedRequest[];
  /** FIFO; each chat request consumes one. */
  enqueue(...turns: Array<Turn | Responder>): void;
  /** Answers when the queue is empty. */
  setFallback(responder: Responder): void;
  /** Sockets currently open, for leak assertions. Idle keep-alive sockets count too. */
  openConnections(): number;
  /**
   * Responses not yet finished or abandoned. Drops to 0 once every client has
   * gone away, even when its HTTP client keeps (or reopens) an idle socket.
   */
  activeRequests(): number;
  /** Resolves once `requests.length >= n`; rejects after `timeoutMs` (default 5000). */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `activeRequests()` is 0; rejects with a `TimeoutError` after `timeoutMs` (default 5000). */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /** Stops listening and destroys open sockets. Idempotent. */
  close(): Promise<void>;
}

export interface ScriptedUpstreamOptions {
  script?: Array<Turn | Responder>;
  fallback?: Responder;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** When set, requests without this key get the provider's 401. */
  requireApiKey?: string;
}
