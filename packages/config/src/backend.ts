import * as z from "zod";
import {
  headerMap,
  httpUrl,
  name,
  nonNegativeInt,
  positiveInt,
  seconds,
  withoutBlanks,
} from "./fields.js";

export const BACKEND_KINDS = ["openai", "anthropic", "demo"] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export const DEFAULT_BASE_URLS: Partial<Record<BackendKind, string>> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
};

export const backendFields = z.object({
  name,
  /** `type` and `provider` are accepted as aliases. */
  kind: z.enum(BACKEND_KINDS),
  /** Defaults per kind; `openai` covers every OpenAI-compatible server (Ollama, vLLM, ...). */
  base_url: httpUrl.optional(),
  api_key: z.string().optional(),
  default_headers: headerMap.default({}),
  /** Seconds for a whole upstream exchange, retries and body included. */
  timeout: seconds.default(600),
  /** Seconds until response headers arrive, per attempt. */
  connect_timeout: seconds.default(30),
  max_retries: nonNegativeInt.default(2),
  /** Anthropic only: the `anthropic-version` header. */
  anthropic_version: z.string().optional(),
  /** Anthropic only: `max_tokens` when neither the request nor the assistant sets one. */
  default_max_tokens: positiveInt.optional(),
});

export const backendSchema = z.preprocess(
  (value) => {
    const out = withoutBlanks(value, { kind: ["type", "provider"] });
    if (out && typeof out === "object" && "kind" in out && typeof out.kind === "string")
      (out as { kind: string }).kind = out.kind.trim().toLowerCase();
    return out;
  },
  backendFields.transform(({ base_url, ...rest }): z.output<typeof backendFields> => {
    const url = base_url ?? DEFAULT_BASE_URLS[rest.kind];
    return url === undefined ? rest : { ...rest, base_url: url };
  }),
);
