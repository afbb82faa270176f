/** Characters an IP literal can hold, in any of the forms WHATWG URL parsing accepts. */
const IP_CHARS = /^[0-9a-fx.:]+$/;

/**
 * Whether `host` names the loopback interface only: `localhost`, any of
 * 127.0.0.0/8 (also as `::ffff:127.x.y.z`) or `::1`, with or without
 * brackets. IP literals are normalised as URL parsing does, so `127.1` and
 * `0:0:0:0:0:0:0:1` count. The wildcard addresses `0.0.0.0` and `::` do not:
 * they listen on every interface.
 */
export function isLoopbackHost(host: string): boolean {
  let name = host.trim().toLowerCase();
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name === "localhost") return true;
  if (name.startsWith("[") && name.endsWith("]")) name = name.slice(1, -1);
  // The two a loopback gateway sees on every request, without the URL parser.
  if (name === "127.0.0.1" || name === "::1") return true;
  // Anything else (user info, ports, zone ids, names) must not reach the URL parser,
  // which would happily read "evil@127.0.0.1" as 127.0.0.1.
  if (!IP_CHARS.test(name)) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${name.includes(":") ? `[${name}]` : name}/`).hostname;
  } catch {
    return false;
  }
  if (/^127\.\d+\.\d+\.\d+$/.test(hostname)) return true;
  return hostname === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname);
}

/** The host name of a `Host` header value: `[::1]:8080` → `[::1]`, `localhost:80` → `localhost`. */
export function hostOfAuthority(authority: string): string {
  const value = authority.trim();
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(":");
  return colon === -1 ? value : value.slice(0, colon);
}
