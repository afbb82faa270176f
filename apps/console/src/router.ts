import { useEffect, useState } from "preact/hooks";

/** Hash routes (`#/mcp/everything`), so the gateway serves one index.html. */
export function useRoute(): string[] {
  const parse = () =>
    location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const changed = () => setRoute(parse());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join("/")}`;
