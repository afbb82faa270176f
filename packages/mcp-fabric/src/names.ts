const MAX = 64;

/** `<server>__<tool>` reduced to what every provider accepts: `^[A-Za-z0-9_-]{1,64}$`. */
export function exposedName(server: string, tool: string): string {
  const name = `${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, MAX);
  return name === "" ? "_" : name;
}

/**
 * Gives each raw name a unique exposed name, in order: the first keeps its
 * name, later ones that collide (after sanitizing or truncation) get `_2`,
 * `_3`, ... with the base shortened to stay within 64 characters.
 */
export function uniqueNamer(): (name: string) => string {
  const taken = new Set<string>();
  return (name) => {
    let candidate = name;
    for (let n = 2; taken.has(candidate); n++) {
      const suffix = `_${n}`;
      candidate = name.slice(0, MAX - suffix.length) + suffix;
    }
    taken.add(candidate);
    return candidate;
  };
}
