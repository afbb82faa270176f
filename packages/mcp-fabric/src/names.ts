import { createHash } from "node:crypto";

const MAX = 64;
const HASH_CHARS = 6;

/** `<server>__<tool>` reduced to what every provider accepts: `^[A-Za-z0-9_-]{1,64}$`. */
export function exposedName(server: string, tool: string): string {
  const name = `${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, MAX);
  return name === "" ? "_" : name;
}

export interface ToolRef {
  server: string;
  tool: string;
}

function shortHash(ref: ToolRef, chars: number): string {
  // NUL cannot occur in either part, so ("a_", "b") and ("a", "_b") hash apart.
  return createHash("sha256").update(`${ref.server}\0${ref.tool}`).digest("hex").slice(0, chars);
}

/**
 * Exposed names for a set of tools, one per tool, in the order given, that do
 * not depend on that order or on which other servers are listed with them: a
 * name that only one tool sanitizes to stays as it is; where several collide
 * (after sanitizing or truncation), the one whose raw `<server>__<tool>` is
 * already that name keeps it and every other gets `_<hash>` of its own server
 * and tool name, the base shortened to stay within 64 characters.
 */
export function exposedNames(refs: readonly ToolRef[]): string[] {
  const bases = refs.map((ref) => exposedName(ref.server, ref.tool));
  const exact = refs.map((ref, i) => `${ref.server}__${ref.tool}` === bases[i]);
  const count = new Map<string, { all: number; exact: number }>();
  bases.forEach((base, i) => {
    const entry = count.get(base) ?? { all: 0, exact: 0 };
    entry.all++;
    if (exact[i]) entry.exact++;
    count.set(base, entry);
  });
  const names: Array<string | undefined> = bases.map((base, i) => {
    const { all, exact: exacts } = count.get(base)!;
    return all === 1 || (exact[i] && exacts === 1) ? base : undefined;
  });
  // Kept names first, so a hashed name can never take one of them; the rest in a fixed order.
  const taken = new Set(names.filter((name): name is string => name !== undefined));
  const key = (i: number) => `${refs[i]!.server}\0${refs[i]!.tool}`;
  const hashed = names.flatMap((name, i) => (name === undefined ? [i] : []));
  hashed.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  for (const i of hashed) {
    const base = bases[i]!;
    // A longer hash only if six characters collide with a name already taken: vanishingly rare.
    for (let chars = HASH_CHARS; ; chars += 2) {
      const suffix = `_${shortHash(refs[i]!, chars)}`;
      const candidate = base.slice(0, MAX - suffix.length) + suffix;
      if (!taken.has(candidate) || chars >= 32) {
        taken.add(candidate);
        names[i] = candidate;
        break;
      }
    }
  }
  return names as string[];
}
