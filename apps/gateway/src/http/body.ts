import { findTooDeep, InvalidRequestError } from "@aiproxy/core";
import { clip } from "./clip.js";
import { UnsupportedMediaTypeError } from "./errors.js";

export interface JsonBodyLimits {
  /** The deepest nesting of objects and arrays allowed (`server.max_json_depth`). */
  maxDepth: number;
}

/** `application/json` and structured-syntax types such as `application/merge-patch+json`. */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;

/**
 * The request body as JSON, checked before anything else walks it; anything
 * else is a 4xx that says what was wrong. Every surface reads its body here,
 * so a limit added here holds for all of them.
 */
export async function readJsonBody(request: Request, limits: JsonBodyLimits): Promise<unknown> {
  const notJson = unsupportedMediaType(request.headers.get("content-type"));
  // Read either way: a body left unread is drained by the server under a short
  // deadline and the socket closed if it runs out, which a keep-alive client
  // sees as its *next* request failing.
  const text = await request.text();
  if (notJson) throw notJson;
  if (text.trim() === "")
    throw new InvalidRequestError({ message: "The request body is empty; expected a JSON object" });
  let body: unknown;
  try {
    // JSON.parse is iterative and copes with any depth; what runs after it may not.
    body = JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError({
      message: `The request body is not valid JSON: ${clip((error as Error).message, 200)}`,
    });
  }
  const tooDeep = findTooDeep(body, limits.maxDepth);
  if (tooDeep !== undefined)
    throw new InvalidRequestError({
      message: `The request body nests objects and arrays deeper than ${limits.maxDepth} levels at ${tooDeep} (server.max_json_depth)`,
      param: toParam(tooDeep),
    });
  return body;
}

function unsupportedMediaType(header: string | null): UnsupportedMediaTypeError | undefined {
  const mediaType = header?.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (JSON_MEDIA_TYPE.test(mediaType)) return undefined;
  return new UnsupportedMediaTypeError({
    message: `${mediaType ? `Content-Type '${clip(mediaType)}' is not JSON` : "The request has no Content-Type"}; send the body as JSON with Content-Type: application/json`,
  });
}

/** `$.tools[0].function` -> `tools[0].function`, the notation OpenAI's `param` uses. */
function toParam(path: string): string {
  return path.replace(/^\$\.?/, "") || "$";
}
