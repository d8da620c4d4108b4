/** Settings → Directory groups (admins): which directory groups give which team or role. */
export function directoryGroupsPath(): string {
  return "/settings/directory-groups";
}
