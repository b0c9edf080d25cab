/**
 * A promise that another request (or cron run, or queue batch) of this isolate started, made safe to
 * await here. Awaiting the shared promise itself would resume this request inside the one that settles
 * it (workerd runs a promise's reactions in the context that settles it), and this request's next
 * I/O would fail with "Cannot perform I/O on behalf of a different request". A promise created here
 * and settled from elsewhere is handed back to this request by the runtime.
 */
export function awaitShared<T>(shared: Promise<T>): Promise<T> {
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  shared.then(resolve, reject);
  return promise;
}
