import type { PathSegment } from "./errors.js";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What `mapTree`'s visitor decides for one node. */
export type Visit<C> =
  /** The node's copy is `value`; its children are not visited. */
  | { value: unknown }
  /** Arrays and plain objects are copied child by child, each with `context(key)`; anything else is kept. */
  | { children: (key: PathSegment) => C };

/**
 * A copy of `root` in which `visit` decides each node, in document order,
 * given the context its parent handed down (a path, say). Built with an
 * explicit stack rather than recursion, so user data nested thousands deep
 * (an `extra_body`, a pinned argument) costs heap, not stack, and cannot
 * overflow it. Key order is kept.
 */
export function mapTree<C>(
  root: unknown,
  context: C,
  visit: (node: unknown, context: C) => Visit<C>,
): unknown {
  let out: unknown;
  const stack: { node: unknown; context: C; set: (value: unknown) => void }[] = [
    { node: root, context, set: (value) => (out = value) },
  ];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const { node, set } = frame;
    const decision = visit(node, frame.context);
    if ("value" in decision) set(decision.value);
    else if (Array.isArray(node)) {
      const copy: unknown[] = new Array(node.length);
      set(copy);
      // Pushed last-first, so they pop (and are visited) in document order.
      for (let index = node.length - 1; index >= 0; index--)
        stack.push({
          node: node[index],
          context: decision.children(index),
          set: (value) => (copy[index] = value),
        });
    } else if (isPlainObject(node)) {
      const copy: Record<string, unknown> = {};
      set(copy);
      const keys = Object.keys(node);
      for (const key of keys) copy[key] = undefined;
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push({
          node: node[key],
          context: decision.children(key),
          set: (value) => (copy[key] = value),
        });
      }
    } else set(node);
  }
  return out;
}
