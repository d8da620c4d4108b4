import type { CatalogContext } from "../catalog/catalog.context";
import type { LiveAccess } from "../common/live-access";
import type { TestingLoaders } from "./testing.loaders";

/** What testing's resolvers read from a request: catalog's context plus test runs. */
export interface TestingContext extends CatalogContext {
  readonly loaders: CatalogContext["loaders"] & { readonly testing: TestingLoaders };
}

/** A subscription's context: also re-checks access while it streams. */
export interface TestingSubscriptionContext extends TestingContext {
  readonly live: LiveAccess<TestingContext>;
}
