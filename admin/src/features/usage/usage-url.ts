export const USAGE_TABS = ["overview", "reviews"] as const;
export type UsageTab = (typeof USAGE_TABS)[number];

/** The windows people pick from, in weeks (the server takes 1-52). */
export const USAGE_WINDOWS = [4, 12, 26] as const;
export type UsageWindow = (typeof USAGE_WINDOWS)[number];

/** The Usage page's default window (the server's usageOverview default); the skill page's is 12 (Skill.usage's). */
export const OVERVIEW_DEFAULT_WEEKS: UsageWindow = 4;
export const SKILL_DEFAULT_WEEKS: UsageWindow = 12;

/** The Usage page's state in its URL: `/usage?tab=reviews`, `/usage?weeks=12`. */
export interface UsageLocation {
  tab: UsageTab;
  weeks: UsageWindow;
}

export const isUsageTab = (value: string | null): value is UsageTab => USAGE_TABS.some((tab) => tab === value);

/** A window from the URL or a control, or null when it is not one of the offered windows. */
export function usageWindow(value: string | number | null): UsageWindow | null {
  const weeks = typeof value === "number" ? value : Number(value);
  return USAGE_WINDOWS.find((window) => window === weeks) ?? null;
}

export function readUsageLocation(params: URLSearchParams): UsageLocation {
  const tab = params.get("tab");
  return { tab: isUsageTab(tab) ? tab : "overview", weeks: usageWindow(params.get("weeks")) ?? OVERVIEW_DEFAULT_WEEKS };
}

/** The path of the Usage page at `location` (the overview over 4 weeks by default). */
export function usagePath(location: Partial<UsageLocation> = {}): string {
  const params = new URLSearchParams();
  if (location.tab && location.tab !== "overview") params.set("tab", location.tab);
  if (location.weeks && location.weeks !== OVERVIEW_DEFAULT_WEEKS) params.set("weeks", String(location.weeks));
  const query = params.toString();
  return query ? `/usage?${query}` : "/usage";
}

/** The window the skill page's Usage tab shows, from its URL (`?tab=usage&weeks=26`). */
export function readSkillUsageWeeks(params: URLSearchParams): UsageWindow {
  return usageWindow(params.get("weeks")) ?? SKILL_DEFAULT_WEEKS;
}

/** The skill page's Usage tab, over `weeks` (12 by default). */
export function skillUsagePath(name: string, weeks: UsageWindow = SKILL_DEFAULT_WEEKS): string {
  const params = new URLSearchParams({ tab: "usage" });
  if (weeks !== SKILL_DEFAULT_WEEKS) params.set("weeks", String(weeks));
  return `/skills/${encodeURIComponent(name)}?${params.toString()}`;
}
