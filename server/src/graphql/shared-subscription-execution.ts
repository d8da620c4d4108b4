import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult, type GraphQLSchema, print } from "graphql";

/**
 * A context that refuses every use and remembers being asked. An execution that completes without
 * touching it computed a result from the schema, the document, the variables and the event alone:
 * the same for any viewer. A resolver that catches the refusal cannot hide the touch.
 */
function probeContext(): { context: object; touched: () => boolean } {
  let touched = false;
  const refuse = (): never => {
    touched = true;
    throw new Error("This field depends on who is asking; it is executed per subscriber.");
  };
  const context = new Proxy(
    {},
    {
      get: refuse,
      set: refuse,
      has: refuse,
      ownKeys: refuse,
      getOwnPropertyDescriptor: refuse,
      defineProperty: refuse,
      deleteProperty: refuse,
      getPrototypeOf: refuse,
      setPrototypeOf: refuse,
      isExtensible: refuse,
      preventExtensions: refuse,
    },
  );
  return { context, touched: () => touched };
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === "object" && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function";

/**
 * `source` with each item mapped. Hand-written rather than an async generator, like graphql-js's own
 * mapping: `return()` reaches the source at once instead of queuing behind a pending `next()`.
 */
function mapEvents<T, R>(source: AsyncIterable<T>, map: (item: T) => Promise<R>): AsyncGenerator<R> {
  const iterator = source[Symbol.asyncIterator]();
  const done = (): IteratorResult<R> => ({ done: true, value: undefined });
  const closeSource = async () => {
    try {
      await iterator.return?.();
    } catch {
      // The mapping's own error is the one to report.
    }
  };
  const mapped = async (step: IteratorResult<T>): Promise<IteratorResult<R>> => {
    if (step.done) return done();
    try {
      return { done: false, value: await map(step.value) };
    } catch (error) {
      await closeSource();
      throw error;
    }
  };
  const wrapper: AsyncGenerator<R> = {
    async next() {
      return mapped(await iterator.next());
    },
    async return() {
      await iterator.return?.();
      return done();
    },
    async throw(error: unknown) {
      if (iterator.throw) return mapped(await iterator.throw(error));
      await closeSource();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return wrapper;
    },
  };
  return wrapper;
}

/**
 * graphql-js's `subscribe`, except that an event's execution is shared by every subscriber running
 * the same operation (schema, document, operation name, variables) on the same event object: the
 * run-event hub hands one object per event to every subscriber of a run, so 100 subscribers with
 * the same query cost one execution, and the transport gets one result object to encode once.
 *
 * Only a result that provably does not depend on the viewer is shared: the shared execution runs
 * with a probe context that refuses every use, and a result whose execution touched it (a field
 * resolved through the viewer's loaders or visibility) is dropped, and that event is executed per
 * subscriber with their own context, as graphql-js does. Access stays per subscriber: each has its
 * own source stream (which the socket server ends, with its error, when the viewer loses access);
 * only the mapping from an event to its result is shared.
 */
export class SharedSubscriptionExecution {
  /** Per event object: operation key → its shared result, or null when it is executed per subscriber. Dropped with the event. */
  private readonly results = new WeakMap<object, Map<string, Promise<ExecutionResult | null>>>();
  /** The results handed to more than one subscriber's stream (or meant to be): never changed once made. */
  private readonly shared = new WeakSet<object>();
  private readonly schemaIds = new WeakMap<GraphQLSchema, number>();
  private schemasSeen = 0;

  async subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = this.operationKey(args);
    return mapEvents(source, async (event) => {
      if (typeof event !== "object" || event === null) return execute({ ...args, rootValue: event });
      let byOperation = this.results.get(event);
      if (!byOperation) this.results.set(event, (byOperation = new Map()));
      let result = byOperation.get(key);
      if (!result) byOperation.set(key, (result = this.executeShared(args, event)));
      return (await result) ?? execute({ ...args, rootValue: event });
    });
  }

  /** Whether `payload` is a shared result (the same object for every subscriber of its event and operation). */
  isShared(payload: object): boolean {
    return this.shared.has(payload);
  }

  private operationKey(args: ExecutionArgs): string {
    let schemaId = this.schemaIds.get(args.schema);
    if (schemaId === undefined) this.schemaIds.set(args.schema, (schemaId = this.schemasSeen++));
    return JSON.stringify([schemaId, args.operationName ?? null, args.variableValues ?? null, print(args.document)]);
  }

  /** The result to share, or null: the execution touched the probe, or threw (each subscriber's own execution then reports it, as graphql-js would). */
  private async executeShared(args: ExecutionArgs, event: object): Promise<ExecutionResult | null> {
    const probe = probeContext();
    try {
      const result = await execute({ ...args, rootValue: event, contextValue: probe.context });
      if (probe.touched()) return null;
      this.shared.add(result);
      return result;
    } catch {
      return null;
    }
  }
}
