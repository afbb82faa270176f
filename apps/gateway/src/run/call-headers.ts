import type { CallOptions, LlmBackend } from "@aiproxy/core";

/**
 * The backend with `headers` on every call of one run, e.g. the client's
 * `anthropic-beta`. Per-call headers (trace context) still go on top. No
 * `close`: the backend belongs to the registry, not to the run.
 */
export function withCallHeaders(backend: LlmBackend, headers: Record<string, string>): LlmBackend {
  const merged = (options?: CallOptions): CallOptions => ({
    ...options,
    headers: { ...headers, ...options?.headers },
  });
  return {
    provider: backend.provider,
    generate: (request, options) => backend.generate(request, merged(options)),
    stream: (request, options) => backend.stream(request, merged(options)),
  };
}
