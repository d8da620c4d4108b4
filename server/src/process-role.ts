/** What one `node main.js` process does (`--role`); several API replicas and workers can share one database. */
export type ProcessRole = "all" | "api" | "worker" | "migrate";

const ROLES: readonly string[] = ["all", "api", "worker", "migrate"] satisfies ProcessRole[];

/** The value of `--role <value>` or `--role=<value>`; "all" when neither is given, undefined after a bare trailing `--role`. */
export function roleArgument(argv: readonly string[]): string | undefined {
  const i = argv.indexOf("--role");
  return i >= 0 ? argv[i + 1] : (argv.find((a) => a.startsWith("--role="))?.slice(7) ?? "all");
}

export function isProcessRole(value: string | undefined): value is ProcessRole {
  return value !== undefined && ROLES.includes(value);
}
