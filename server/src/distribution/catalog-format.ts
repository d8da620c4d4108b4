/** One plugin of a catalog, as Claude Code reads it. */
export interface CatalogPlugin {
  name: string;
  version: string;
  description: string;
  category: string;
  tags: string[];
  author?: { name: string };
  source: { source: "archive"; url: string; sha256: string };
  /** Bare plugin names, installed from the same marketplace. */
  dependencies?: string[];
}

/** A Claude Code marketplace: `skillyard` (latest) or `skillyard-<channel>`. */
export interface MarketplaceCatalog {
  name: string;
  owner: { name: string };
  metadata: { description: string };
  plugins: CatalogPlugin[];
}
