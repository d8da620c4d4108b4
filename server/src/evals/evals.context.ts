import type { CatalogContext } from "../catalog/catalog.context";
import type { LiveAccess } from "../common/live-access";
import type { EvalLoaders } from "./evals.loaders";

/** What evals' resolvers read from a request: catalog's context plus eval runs. */
export interface EvalsContext extends CatalogContext {
  readonly loaders: CatalogContext["loaders"] & { readonly evals: EvalLoaders };
}

/** A subscription's context: also re-checks access while it streams. */
export interface EvalsSubscriptionContext extends EvalsContext {
  readonly live: LiveAccess<EvalsContext>;
}
