/** How much client text (a model name, a path, a key) an error message repeats. */
export const ECHO_MAX_CHARS = 100;

/**
 * Client text as an error message may repeat it: at most `max` characters,
 * an ellipsis marking a cut. A 10,000-character model name must not come
 * back whole in every 404, nor fill the log line.
 */
export function clip(text: string, max = ECHO_MAX_CHARS): string {
  if (text.length <= max) return text;
  let end = max - 1;
  // Never cut a surrogate pair in half: the half left would be a lone surrogate.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
