/** What a hidden secret reads as, in error messages, logs and redacted config. */
export const REDACTED = "[REDACTED]";

/** Secrets shorter than this are too likely to be ordinary words to hide. */
const MIN_SECRET_LENGTH = 4;

/**
 * `text` with every occurrence of each secret (of 4+ characters) replaced by
 * REDACTED: as given, in any other letter case, and percent-encoded (as
 * `encodeURIComponent` or a form would write it), since upstreams echo keys
 * back in URLs and lower-cased. The longest match wins, so a secret that
 * contains a shorter one is not left half visible.
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
    const encoded = encodeURIComponent(secret);
    forms.add(secret).add(encoded).add(encoded.replaceAll("%20", "+"));
  }
  if (forms.size === 0) return text;
  const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return text.replace(new RegExp(alternatives.join("|"), "gi"), REDACTED);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Query parameter names that carry credentials, as whole words of the name
 * (`api_key`, `X-Amz-Signature`, `accessToken`), so `monkey` is not one.
 */
const SECRET_PARAM_WORDS = new Set([
  "key",
  "apikey",
  "token",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "authtoken",
  "apitoken",
  "secret",
  "clientsecret",
  "password",
  "passwd",
  "pwd",
  "auth",
  "authorization",
  "sig",
  "signature",
  "session",
  "sessionid",
  "cookie",
  "credential",
  "credentials",
]);

/**
 * `url` with its credentials replaced by REDACTED, for logs, errors and
 * config shown back: the password of `user:password@` (or a lone
 * `token@`, where services put tokens), and the value of every query
 * parameter whose name is credential-like (`apikey`, `api_key`, `key`,
 * `token`, `sig`, ... in any case, even percent-encoded). Works on absolute
 * URLs and on paths with a query; everything else is kept byte for byte.
 */
export function redactUrl(url: string): string {
  const hashStart = url.indexOf("#");
  const beforeHash = hashStart === -1 ? url : url.slice(0, hashStart);
  const fragment = hashStart === -1 ? "" : url.slice(hashStart);
  // A "?" inside the fragment does not start a query.
  const queryStart = beforeHash.indexOf("?");
  const base = queryStart === -1 ? beforeHash : beforeHash.slice(0, queryStart);
  const query = queryStart === -1 ? undefined : beforeHash.slice(queryStart + 1);
  return redactUserinfo(base) + (query === undefined ? "" : `?${redactQuery(query)}`) + fragment;
}

/** `scheme://user:password@host...` with the password (or a lone user) hidden. */
function redactUserinfo(base: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(base);
  if (!match) return base;
  const [whole, scheme, userinfo] = match as unknown as [string, string, string];
  const colon = userinfo.indexOf(":");
  const hidden =
    colon === -1
      ? REDACTED
      : colon === userinfo.length - 1
        ? userinfo
        : `${userinfo.slice(0, colon)}:${REDACTED}`;
  return `${scheme}${hidden}@${base.slice(whole.length)}`;
}

function redactQuery(query: string): string {
  return query
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq === -1 || !isSecretParam(pair.slice(0, eq))) return pair;
      return `${pair.slice(0, eq)}=${REDACTED}`;
    })
    .join("&");
}

function isSecretParam(raw: string): boolean {
  let name: string;
  try {
    name = decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    name = raw;
  }
  const lower = name.toLowerCase();
  if (SECRET_PARAM_WORDS.has(lower.replace(/[^a-z0-9]/g, ""))) return true;
  // Words of the name: split on punctuation and at camelCase humps.
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((word) => SECRET_PARAM_WORDS.has(word));
}
