const DAY_MS = 86_400_000;

/** The Monday (UTC) that starts the week holding `at`, as `YYYY-MM-DD`. */
export function weekStart(at: Date): string {
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  const sinceMonday = (new Date(midnight).getUTCDay() + 6) % 7;
  return new Date(midnight - sinceMonday * DAY_MS).toISOString().slice(0, 10);
}

/** `day` plus `days` (negative goes back), as `YYYY-MM-DD`. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The last `weeks` full weeks before the one holding `now`: [from, to) as days. */
export function lastFullWeeks(now: Date, weeks: number): { from: string; to: string } {
  const to = weekStart(now);
  return { from: addDays(to, -7 * weeks), to };
}
