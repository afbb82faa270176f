import * as z from "zod";
import { isPlainObject } from "./env.js";
import {
  args,
  boolean,
  headerMap,
  httpUrl,
  name,
  seconds,
  stringMap,
  text,
  withoutBlanks,
} from "./fields.js";

export const MCP_TRANSPORTS = ["stdio", "sse", "streamable-http"] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

const common = {
  name,
  /** For people reading the config and the admin API; not sent anywhere. */
  description: z.string().optional(),
  /** Seconds per tool call. */
  timeout: seconds.default(60),
  enabled: boolean.default(true),
};

export const mcpStdioFields = z.object({
  ...common,
  transport: z.literal("stdio"),
  command: text,
  args: args.default([]),
  /** The child's only environment besides a minimal PATH/HOME set: never the gateway's. */
  env: stringMap.default({}),
  cwd: z.string().optional(),
});

const remote = {
  ...common,
  url: httpUrl,
  headers: headerMap.default({}),
};

export const mcpSseFields = z.object({ ...remote, transport: z.literal("sse") });
export const mcpStreamableHttpFields = z.object({
  ...remote,
  transport: z.literal("streamable-http"),
});

/** `http`, `streamable_http`, `streamableHttp` and `Streamable-HTTP` all mean streamable-http. */
function normalizeTransport(value: string): string {
  const compact = value
    .trim()
    .toLowerCase()
    .replace(/[-_\s]/g, "");
  if (compact === "http" || compact === "streamablehttp") return "streamable-http";
  return value.trim().toLowerCase();
}

export const mcpServerSchema = z.preprocess(
  (value) => {
    const out = withoutBlanks(value, { transport: ["type"] });
    if (!isPlainObject(out)) return out;
    if (typeof out.transport === "string") out.transport = normalizeTransport(out.transport);
    // Inferred from the keys present even if blank, so an unset ${URL} reports
    // "url: ..." rather than a puzzling "transport: required".
    else if (out.transport === undefined && isPlainObject(value)) {
      if ("command" in value) out.transport = "stdio";
      else if ("url" in value) out.transport = "streamable-http";
    }
    return out;
  },
  z.discriminatedUnion("transport", [mcpStdioFields, mcpSseFields, mcpStreamableHttpFields]),
);
