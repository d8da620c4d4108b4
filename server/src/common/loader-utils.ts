import DataLoader from "dataloader";

/**
 * A per-request DataLoader that dispatches its batch on `setImmediate`: after every promise chain
 * the current turn started has settled, not one microtask turn after the first `load` (DataLoader's
 * default).
 *
 * Why: `/graphql` runs every subgraph's resolvers in one execution, so the loads of one field arrive
 * at different microtask depths (a visibility check answered from a loader's cache settles in a
 * microtask, one that waited for a query settles a turn later). With the default schedule the batch
 * split by that timing, and the statement count of a query depended on what happened to be cached
 * (server/test/batching.test.ts). A macrotask boundary gathers them all.
 */
export function batchLoader<K, V, C = K>(
  batch: DataLoader.BatchLoadFn<K, V>,
  options: Omit<DataLoader.Options<K, V, C>, "batchScheduleFn"> = {},
): DataLoader<K, V, C> {
  const scheduled: DataLoader.Options<K, V, C> = { ...options, batchScheduleFn: (dispatch: () => void) => setImmediate(dispatch) };
  return new DataLoader<K, V, C>(batch, scheduled);
}

/** Orders batch results to match DataLoader keys; a missing key maps to null. */
export function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | null)[] {
  const map = new Map(rows.map((r) => [keyOf(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

/** Groups batch results per DataLoader key, keeping row order; a key with no rows gets []. */
export function groupBy<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): V[][] {
  const groups = new Map<K, V[]>(keys.map((k) => [k, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((k) => groups.get(k)!);
}
