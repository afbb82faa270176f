/** Query parameters that carry keys; Apiman reads `apikey`, the others are common elsewhere. */
const KEY_PARAMS = new Set(["apikey", "api_key", "key"]);
const BEARER = /^bearer\s+(.+)$/i;

/**
 * The credentials a caller sent, in Apiman's places and this order:
 * `Authorization: Bearer <key>`, `X-API-Key: <key>`, `?apikey=<key>`.
 * Blank values are skipped and duplicates dropped, so a client that sends
 * the same key in two places costs one check.
 */
export function extractCredentials(request: Request): string[] {
  const found = [
    bearerToken(request.headers.get("authorization")),
    request.headers.get("x-api-key")?.trim(),
    queryKey(request.url),
  ];
  return [...new Set(found.filter((value): value is string => !!value))];
}

/** The token of an `Authorization: Bearer` header; other schemes are not ours. */
export function bearerToken(header: string | null): string | undefined {
  return header ? BEARER.exec(header.trim())?.[1]?.trim() : undefined;
}

function queryKey(url: string): string | undefined {
  try {
    // Only the first value: a caller should not make us check a list of guesses per request.
    return new URL(url).searchParams.get("apikey")?.trim();
  } catch {
    return undefined;
  }
}

/**
 * `url` with the values of `apikey`, `api_key` and `key` (any case) replaced
 * by `[REDACTED]`, for logs. Works on absolute URLs and on paths with a
 * query; everything else is kept byte for byte.
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf("?");
  const hashStart = url.indexOf("#");
  // A "?" inside the fragment does not start a query.
  if (queryStart === -1 || (hashStart !== -1 && hashStart < queryStart)) return url;
  const queryEnd = hashStart === -1 ? url.length : hashStart;
  const query = url
    .slice(queryStart + 1, queryEnd)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq === -1) return pair;
      return KEY_PARAMS.has(paramName(pair.slice(0, eq)))
        ? `${pair.slice(0, eq)}=[REDACTED]`
        : pair;
    })
    .join("&");
  return url.slice(0, queryStart + 1) + query + url.slice(queryEnd);
}

function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll("+", " ")).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}
