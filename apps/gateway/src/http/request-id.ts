// Responses whose own header record already carries `x-request-id`. The
// app's middleware sets the header on every other response after the
// handler, but reading `res.headers` turns @hono/node-server's plain header
// record into a Headers object, which sends the answer down its general
// (slower) write path; a surface that renders its own headers skips that.
const carrying = new WeakSet<Response>();

/** `response`, marked as carrying `x-request-id` in its own headers. */
export async function withRequestId(response: Promise<Response>): Promise<Response> {
  const answered = await response;
  carrying.add(answered);
  return answered;
}

/** True when `response` came through `withRequestId`. */
export function carriesRequestId(response: Response): boolean {
  return carrying.has(response);
}
