export const DISTRIBUTION_TABS = ["marketplaces", "required", "policy", "settings"] as const;
export type DistributionTab = (typeof DISTRIBUTION_TABS)[number];

/** The distribution page's state in its URL: `/distribution?tab=required&team=data`; no team means everyone. */
export interface DistributionLocation {
  tab: DistributionTab;
  /** Whose required skills are shown; null for the whole organisation. */
  team: string | null;
}

export const isDistributionTab = (value: string | null): value is DistributionTab => DISTRIBUTION_TABS.some((tab) => tab === value);

export function readDistributionLocation(params: URLSearchParams): DistributionLocation {
  const tab = params.get("tab");
  return { tab: isDistributionTab(tab) ? tab : "marketplaces", team: params.get("team") || null };
}

/** The path of the distribution page at `location` (the first tab, everyone's, by default). */
export function distributionPath(location: Partial<DistributionLocation> = {}): string {
  const params = new URLSearchParams();
  if (location.tab && location.tab !== "marketplaces") params.set("tab", location.tab);
  if (location.team) params.set("team", location.team);
  const query = params.toString();
  return query ? `/distribution?${query}` : "/distribution";
}
