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
  // Most requests have no query: parsing their URL was most of this function's cost.
  if (!url.includes("?")) return undefined;
  try {
    // Only the first value: a caller should not make us check a list of guesses per request.
    return new URL(url).searchParams.get("apikey")?.trim();
  } catch {
    return undefined;
  }
}
