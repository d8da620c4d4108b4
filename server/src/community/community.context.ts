import type { CatalogContext } from "../catalog/catalog.context";
import type { CommunityLoaders } from "./community.loaders";

/** What community's resolvers read from a request: catalog's context plus ratings and installs. */
export interface CommunityContext extends CatalogContext {
  readonly loaders: CatalogContext["loaders"] & { readonly community: CommunityLoaders };
}
