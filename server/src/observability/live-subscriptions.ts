import type { Metrics } from "./metrics";

/**
 * `source` (a subscription's event stream) counted in the live-subscriptions gauge under `field`:
 * up when the first event is asked for, down exactly once when it ends, however it ends (the stream
 * completes or fails, the client sends complete, the socket closes). A stream ended before it was
 * started is never counted, so the gauge cannot go below zero.
 *
 * Hand-written rather than an async generator: a generator would queue `return()` behind a pending
 * `next()` (which waits for the next event), whereas this forwards it at once, as graphql-js's own
 * stream does, so ending a subscription still ends its source immediately.
 */
export function countWhileOpen<T>(
  source: AsyncIterable<T>,
  field: string,
  metrics: Pick<Metrics, "subscriptionOpened" | "subscriptionClosed">,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let state: "new" | "open" | "ended" = "new";
  const end = () => {
    if (state === "open") metrics.subscriptionClosed(field);
    state = "ended";
  };
  const done = (): IteratorResult<T> => ({ done: true, value: undefined });
  const wrapper: AsyncGenerator<T> = {
    async next() {
      if (state === "ended") return done();
      if (state === "new") {
        state = "open";
        metrics.subscriptionOpened(field);
      }
      try {
        const result = await iterator.next();
        if (result.done) end();
        return result;
      } catch (error) {
        end();
        throw error;
      }
    },
    async return() {
      end();
      await iterator.return?.();
      return done();
    },
    async throw(error: unknown) {
      end();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return wrapper;
    },
  };
  return wrapper;
}
