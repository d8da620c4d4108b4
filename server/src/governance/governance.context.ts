import type { CatalogContext } from "../catalog/catalog.context";
import type { GovernanceLoaders } from "./governance.loaders";

/** What governance's resolvers read from a request: catalog's context plus review requests, decisions and package texts. */
export interface GovernanceContext extends CatalogContext {
  readonly loaders: CatalogContext["loaders"] & { readonly governance: GovernanceLoaders };
}
