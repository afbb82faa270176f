/** What `promise` rejected with; a promise that resolves fails the test. */
export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/**
 * The items an iterable yielded (those `keep` accepts) and what it then
 * failed with; one that ends without failing fails the test.
 */
export async function streamUntilFailure<T>(
  iterable: AsyncIterable<T>,
  keep: (item: T) => boolean = () => true,
): Promise<{ events: T[]; error: unknown }> {
  const events: T[] = [];
  try {
    for await (const event of iterable) if (keep(event)) events.push(event);
  } catch (error) {
    return { events, error };
  }
  throw new Error("expected the stream to fail");
}
