import type { JsonSchema } from "@aiproxy/core";

/**
 * The schema the model sees for a tool with pinned arguments: those
 * properties removed from `properties` and `required`, since the model
 * cannot change them anyway.
 */
export function withoutPinned(schema: JsonSchema, pinned: Record<string, unknown>): JsonSchema {
  const keys = Object.keys(pinned);
  if (keys.length === 0) return schema;
  const out: JsonSchema = { ...schema };
  const properties = schema.properties;
  if (properties && typeof properties === "object" && !Array.isArray(properties)) {
    const kept: Record<string, unknown> = { ...(properties as Record<string, unknown>) };
    for (const key of keys) delete kept[key];
    out.properties = kept;
  }
  if (Array.isArray(schema.required)) {
    out.required = schema.required.filter((key) => !keys.includes(key as string));
  }
  return out;
}
