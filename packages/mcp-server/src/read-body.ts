/**
 * The body as text, or `undefined` once it exceeds `maxBytes`. A body that
 * declares its length is judged by it and read whole (on @hono/node-server
 * that reads the Node request directly, with no web stream built for it);
 * one that does not is counted as it streams in, and reading stops at the
 * limit.
 */
export async function readBody(request: Request, maxBytes: number): Promise<string | undefined> {
  const header = request.headers.get("content-length");
  const declared = header === null ? Number.NaN : Number(header);
  if (declared > maxBytes) return undefined;
  if (Number.isSafeInteger(declared) && request.headers.get("transfer-encoding") === null) {
    const text = await request.text();
    // A peer that sent more than it declared is cut off by the HTTP parser; this only guards odd runtimes.
    return Buffer.byteLength(text) > maxBytes ? undefined : text;
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
