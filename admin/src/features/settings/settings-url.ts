/** Users & tokens with one user selected: their roles, teams and tokens (`/tokens?user=<User id>`). */
export function userTokensPath(userId: string): string {
  return `/tokens?${new URLSearchParams({ user: userId }).toString()}`;
}
