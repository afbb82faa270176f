/**
 * `iterator.next()`, with a synchronous throw turned into a rejection, so a
 * hand-written iterator can chain one `then` on it (instead of an async
 * function's extra promises per step) and still see every failure.
 */
export function nextOf<T>(iterator: AsyncIterator<T>): Promise<IteratorResult<T>> {
  try {
    return iterator.next();
  } catch (error) {
    return Promise.reject(error);
  }
}
