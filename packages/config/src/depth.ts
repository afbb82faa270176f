import { findTooDeep, JSON_PATH_MAX_CHARS } from "@aiproxy/core";
import { CST, Parser } from "yaml";
import type * as z from "zod";
import { formatPath, type PathSegment } from "./errors.js";
import { DEFAULT_MAX_JSON_DEPTH } from "./server.js";

/*
 * Free-form values in a config (extra_body, pinned tool arguments,
 * response_format) are user data that later code walks: redaction, the
 * provider request, JSON Schema tools. Nesting is bounded where they are
 * read, so a value thousands of levels deep is a 422 naming it, not a stack
 * overflow in whatever touches it next.
 */

/** `schema`, refusing a value with objects or arrays nested deeper than `maxDepth` levels. */
export function boundedDepth<T extends z.ZodType>(
  schema: T,
  maxDepth: number = DEFAULT_MAX_JSON_DEPTH,
): T {
  return schema.superRefine((value, ctx) => {
    const at = findTooDeep(value, maxDepth);
    if (at !== undefined)
      ctx.addIssue({
        code: "custom",
        message: `nested more than ${maxDepth} levels deep (at ${at})`,
      });
  }) as unknown as T;
}

/**
 * How deep a config file may nest as a whole: the free-form values' bound
 * plus room for the config's own structure above them
 * (`assistants[0].tool_arguments.<tool>.<arg>`).
 */
export const MAX_DOCUMENT_DEPTH = DEFAULT_MAX_JSON_DEPTH + 8;

/**
 * The YAML path of the first collection in `text` nested deeper than
 * `maxDepth`, if any. Read from yaml's concrete syntax tree, which is built
 * without recursion; building the document from it recurses and overflows
 * the stack near a thousand levels, so this runs first.
 */
export function tooDeepInYaml(text: string, maxDepth = MAX_DOCUMENT_DEPTH): string | undefined {
  const stack: Frame[] = [];
  for (const token of new Parser().parse(text))
    if (token.type === "document" && token.value)
      stack.push({ token: token.value, depth: 1, parent: undefined, key: undefined });
  stack.reverse();
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const { token } = frame;
    if (
      token.type !== "block-map" &&
      token.type !== "block-seq" &&
      token.type !== "flow-collection"
    )
      continue;
    if (frame.depth > maxDepth) return clip(formatPath(pathOf(frame)));
    const isMap =
      token.type === "block-map" ||
      (token.type === "flow-collection" && token.start.source === "{");
    const children: Frame[] = [];
    token.items.forEach((item, index) => {
      if (!item.value) return;
      const key = isMap ? keyText(item.key) : index;
      children.push({ token: item.value, depth: frame.depth + 1, parent: frame, key });
    });
    // Pushed last-first, so the first too-deep value in document order is the one named.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Frame);
  }
  return undefined;
}

function keyText(key: CST.Token | null | undefined): PathSegment {
  if (!key) return "?";
  const scalar = CST.isScalar(key) ? CST.resolveAsScalar(key) : null;
  return scalar ? scalar.value : "?";
}

interface Frame {
  readonly token: CST.Token;
  readonly depth: number;
  readonly parent: Frame | undefined;
  /** Its key in the parent map, or index in the parent list; undefined for a document's root. */
  readonly key: PathSegment | undefined;
}

function pathOf(frame: Frame): PathSegment[] {
  const path: PathSegment[] = [];
  for (let link: Frame | undefined = frame; link?.key !== undefined; link = link.parent)
    path.push(link.key);
  return path.reverse();
}

function clip(path: string): string {
  return path.length > JSON_PATH_MAX_CHARS ? `${path.slice(0, JSON_PATH_MAX_CHARS - 1)}…` : path;
}
