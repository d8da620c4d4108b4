import type { IdentityLoaders } from "../identity/identity.loaders";
import type { ViewerContext } from "../identity/viewer";
import type { CatalogLoaders } from "./catalog.loaders";
import type { VisibilityPolicy } from "./visibility";

/** What catalog's resolvers and services read from a request: the viewer, the loaders, and the visibility policy built on them. */
export interface CatalogContext extends ViewerContext {
  readonly loaders: { readonly catalog: CatalogLoaders; readonly identity: IdentityLoaders };
  readonly visibility: VisibilityPolicy;
}
