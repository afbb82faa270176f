import * as z from "zod";
import { positiveInt, seconds, withoutBlanks } from "./fields.js";
import { byteSize } from "./size.js";

export const DEFAULT_MCP_SESSION_IDLE_SECONDS = 1800;
export const DEFAULT_MCP_MAX_SESSIONS = 1000;
export const DEFAULT_MCP_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** The gateway's own MCP server (`/mcp`, `/mcp/{assistant}`, `/sse`). */
export const mcpEndpointFields = z.object({
  /** Seconds a session may go unused before it is closed. */
  session_idle_timeout: seconds.default(DEFAULT_MCP_SESSION_IDLE_SECONDS),
  /** Open sessions at most; one more is refused with 503. */
  max_sessions: positiveInt.default(DEFAULT_MCP_MAX_SESSIONS),
  /** The largest JSON-RPC message a client may POST ("4mb", or bytes); larger is 413. */
  max_message_size: byteSize.default(DEFAULT_MCP_MAX_MESSAGE_BYTES),
});

export const mcpEndpointSchema = z
  .preprocess((value) => withoutBlanks(value), mcpEndpointFields)
  .default({
    session_idle_timeout: DEFAULT_MCP_SESSION_IDLE_SECONDS,
    max_sessions: DEFAULT_MCP_MAX_SESSIONS,
    max_message_size: DEFAULT_MCP_MAX_MESSAGE_BYTES,
  });
