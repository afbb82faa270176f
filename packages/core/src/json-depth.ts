/**
 * Depth checks for parsed JSON. `JSON.parse` copes with any depth, but the
 * code after it (zod, JSON Schema walkers, `structuredClone`, a later
 * `JSON.stringify`) recurses and overflows the stack on a few thousand
 * levels, so a body is checked here, without recursion, before anything
 * else walks it.
 */

/** The longest path `findTooDeep` returns; the start says which field it is. */
export const JSON_PATH_MAX_CHARS = 200;
const KEY_MAX_CHARS = 40;

interface Frame {
  readonly value: object;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number | undefined;
}

/**
 * The JSON path (`$.tools[0].function.parameters...`) of the first object or
 * array, in document order, nested deeper than `maxDepth` levels, or
 * `undefined` when the value is within it. The root object is level 1;
 * strings, numbers, booleans and null add no level. The path is clipped to
 * {@link JSON_PATH_MAX_CHARS}. Work is bounded by the value's size, and the
 * walk never goes below `maxDepth + 1`, so even a cyclic value terminates.
 */
export function findTooDeep(value: unknown, maxDepth: number): string | undefined {
  if (!isContainer(value)) return undefined;
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: undefined }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.depth > maxDepth) return formatPath(frame);
    const depth = frame.depth + 1;
    // Children are pushed last-first so the stack pops them in document order.
    if (Array.isArray(frame.value)) {
      const items: unknown[] = frame.value;
      for (let i = items.length - 1; i >= 0; i--) {
        const child = items[i];
        if (isContainer(child)) stack.push({ value: child, depth, parent: frame, key: i });
      }
    } else {
      const record = frame.value as Record<string, unknown>;
      const keys = Object.keys(record);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        const child = record[key];
        if (isContainer(child)) stack.push({ value: child, depth, parent: frame, key });
      }
    }
  }
  return undefined;
}

function isContainer(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function formatPath(frame: Frame): string {
  const keys: Array<string | number> = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) keys.push(f.key);
  let path = "$";
  for (let i = keys.length - 1; i >= 0; i--) {
    path += segment(keys[i] as string | number);
    if (path.length > JSON_PATH_MAX_CHARS) return `${path.slice(0, JSON_PATH_MAX_CHARS - 1)}…`;
  }
  return path;
}

function segment(key: string | number): string {
  if (typeof key === "number") return `[${key}]`;
  if (IDENTIFIER.test(key) && key.length <= KEY_MAX_CHARS) return `.${key}`;
  const clipped = key.length > KEY_MAX_CHARS ? `${key.slice(0, KEY_MAX_CHARS - 1)}…` : key;
  return `[${JSON.stringify(clipped)}]`;
}
