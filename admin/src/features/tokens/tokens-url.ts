export const TOKENS_TABS = ["mine", "expiring"] as const;
export type TokensTab = (typeof TOKENS_TABS)[number];

/** How far ahead "Expiring soon" looks, and within which a token's expiry is shown as a warning. */
export const EXPIRING_WITHIN_DAYS = 14;

export const isTokensTab = (value: string | null): value is TokensTab => TOKENS_TABS.some((tab) => tab === value);

/** The API tokens page's state in its URL: `/settings/api-tokens?tab=expiring` (admins). */
export function readTokensTab(params: URLSearchParams): TokensTab {
  const tab = params.get("tab");
  return isTokensTab(tab) ? tab : "mine";
}

/** The path of the API tokens page (your own tokens by default). */
export function apiTokensPath(tab: TokensTab = "mine"): string {
  return tab === "mine" ? "/settings/api-tokens" : `/settings/api-tokens?tab=${tab}`;
}
