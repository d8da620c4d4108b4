import type { CatalogContext } from "../catalog/catalog.context";
import type { UsageLoaders } from "./usage.loaders";

/** What usage's resolvers read from a request: catalog's context plus usage reports. */
export interface UsageContext extends CatalogContext {
  readonly loaders: CatalogContext["loaders"] & { readonly usage: UsageLoaders };
}
