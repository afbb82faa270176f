import * as z from "zod";
import { isPlainObject } from "./env.js";
import { formatPath, type PathSegment } from "./errors.js";

export interface CollectionEntry {
  /** Where the entry sits below its collection: a list index, or its key in a map. */
  location: PathSegment[];
  /** The entry as given (name filled in from the key in map style), valid or not. */
  value: Record<string, unknown>;
}

export interface CollectionMeta {
  /** Every entry with a name, valid or not: a reference to one of these is not "unknown". */
  names: Set<string>;
  entries: CollectionEntry[];
}

/** What the reference check needs to know about a parsed collection, keyed by its output map. */
export const collectionMeta = new WeakMap<object, CollectionMeta>();

/**
 * A collection written either as a list of objects with a `name` (paths
 * like `assistants[1].backend`) or as a map keyed by name (paths like
 * `assistants.demo.backend`), normalized to a map by name in the given
 * order. Every entry is checked even when an earlier one fails, and the
 * valid ones are kept, so the reference check can still run.
 */
export function collection<S extends z.ZodType<{ name: string }>>(
  key: string,
  item: S,
  noun: string,
) {
  return z
    .unknown()
    .optional()
    .transform((raw, ctx) => {
      const out: Record<string, z.output<S>> = {};
      const meta: CollectionMeta = { names: new Set(), entries: [] };
      collectionMeta.set(out, meta);
      if (raw === undefined || raw === null) return out;

      let entries: { location: PathSegment[]; value: unknown; key?: string }[];
      if (Array.isArray(raw)) entries = raw.map((value, index) => ({ location: [index], value }));
      else if (isPlainObject(raw))
        entries = Object.entries(raw).map(([name, value]) => ({
          location: [name],
          value,
          key: name,
        }));
      else {
        ctx.addIssue({
          code: "custom",
          input: raw,
          message: `expected a list or a map of ${noun}, got ${describeValue(raw)}`,
        });
        return out;
      }

      const seen = new Map<string, PathSegment[]>();
      for (const entry of entries) {
        const value = entry.key !== undefined && entry.value == null ? {} : entry.value;
        if (!isPlainObject(value)) {
          ctx.addIssue({
            code: "custom",
            input: value,
            path: entry.location,
            message: `expected a map of settings, got ${describeValue(value)}`,
          });
          continue;
        }
        let input = value;
        if (entry.key !== undefined) {
          const given = value.name;
          if (given != null && given !== "" && given !== entry.key) {
            ctx.addIssue({
              code: "custom",
              input: given,
              path: [...entry.location, "name"],
              message: `name ${JSON.stringify(given)} differs from its key ${JSON.stringify(entry.key)}`,
            });
            meta.names.add(entry.key);
            continue;
          }
          input = { ...value, name: entry.key };
        }
        if (typeof input.name === "string") {
          const first = seen.get(input.name);
          if (first) {
            ctx.addIssue({
              code: "custom",
              input: input.name,
              path: [...entry.location, "name"],
              message: `duplicate name ${JSON.stringify(input.name)} (first used at ${formatPath([key, ...first])})`,
            });
            continue;
          }
          seen.set(input.name, entry.location);
          meta.names.add(input.name);
        }
        meta.entries.push({ location: entry.location, value: input });
        const result = item.safeParse(input, { reportInput: true });
        if (result.success) out[result.data.name] = result.data;
        else
          for (const issue of result.error.issues)
            ctx.addIssue({ ...issue, path: [...entry.location, ...issue.path] } as never);
      }
      return out;
    });
}

export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}
