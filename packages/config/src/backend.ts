import * as z from "zod";
import { isPlainObject } from "./env.js";
import {
  headerMap,
  httpUrl,
  name,
  nonNegativeInt,
  positiveInt,
  seconds,
  withoutBlanks,
} from "./fields.js";
import { byteSize } from "./size.js";

export const BACKEND_KINDS = ["openai", "anthropic", "demo"] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export const DEFAULT_BASE_URLS = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
} as const satisfies Partial<Record<BackendKind, string>>;

export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 ** 2;
export const DEFAULT_MAX_EVENT_BYTES = 4 * 1024 ** 2;

/** What every kind has: how the exchange with the upstream is bounded. */
const exchange = {
  /** Seconds for a whole upstream exchange, retries and body included. */
  timeout: seconds.default(600),
  /** Seconds until response headers arrive, per attempt. */
  connect_timeout: seconds.default(30),
  max_retries: nonNegativeInt.default(2),
  /** The most a whole response body may hold, e.g. "32mb". */
  max_response_bytes: byteSize.default(DEFAULT_MAX_RESPONSE_BYTES),
  /** The most one SSE event may hold. */
  max_event_bytes: byteSize.default(DEFAULT_MAX_EVENT_BYTES),
};

/** What a backend that talks to a real provider authenticates with. */
const credentials = {
  api_key: z.string().optional(),
  default_headers: headerMap.default({}),
};

/** Any OpenAI-compatible /chat/completions server (OpenAI, Ollama, vLLM, ...). */
export const openaiBackendFields = z.object({
  name,
  kind: z.literal("openai"),
  base_url: httpUrl.default(DEFAULT_BASE_URLS.openai),
  ...credentials,
  ...exchange,
});

export const anthropicBackendFields = z.object({
  name,
  kind: z.literal("anthropic"),
  base_url: httpUrl.default(DEFAULT_BASE_URLS.anthropic),
  ...credentials,
  ...exchange,
  /** The `anthropic-version` header. */
  anthropic_version: z.string().optional(),
  /** `max_tokens` when neither the request nor the assistant sets one. */
  default_max_tokens: positiveInt.optional(),
});

/** The scripted demo model the gateway starts itself: nothing to point at, nothing to authenticate. */
export const demoBackendFields = z.object({ name, kind: z.literal("demo"), ...exchange });

export const backendBranches = [
  openaiBackendFields,
  anthropicBackendFields,
  demoBackendFields,
] as const;

/**
 * Every field of every kind, for an entry whose kind is missing or unknown:
 * its other problems are still reported, as they were before kinds had
 * branches of their own.
 */
const anyKindFields = z.object(
  Object.fromEntries(
    backendBranches
      .flatMap((branch) => Object.entries(branch.shape))
      .filter(([key]) => key !== "kind"),
  ) as z.ZodRawShape,
);

const isKind = (value: unknown): value is BackendKind =>
  (BACKEND_KINDS as readonly unknown[]).includes(value);

export const backendSchema = z.preprocess(
  (value) => {
    /** `type` and `provider` are accepted as aliases of `kind`. */
    const out = withoutBlanks(value, { kind: ["type", "provider"] });
    if (isPlainObject(out) && typeof out.kind === "string")
      out.kind = out.kind.trim().toLowerCase();
    return out;
  },
  z.discriminatedUnion("kind", [...backendBranches]).superRefine(
    (value, ctx) => {
      const input: unknown = value;
      if (!isPlainObject(input) || isKind(input.kind)) return;
      const result = anyKindFields.safeParse(input, { reportInput: true });
      for (const issue of result.error?.issues ?? []) ctx.addIssue(issue as never);
    },
    // The union stops at the discriminator; the rest is checked here.
    { when: () => true },
  ),
);
