import type { CatalogContext } from "../catalog/catalog.context";
import type { DistributionLoaders } from "./distribution.loaders";

/** What distribution's resolvers read from a request: catalog's context plus plugin archives. */
export interface DistributionContext extends CatalogContext {
  readonly loaders: CatalogContext["loaders"] & { readonly distribution: DistributionLoaders };
}
