/** "75%", or "—" when no test ran (the server answers null then). */
export function formatPassRate(passRate: number | null): string {
  return passRate === null ? "—" : `${Math.round(passRate * 1000) / 10}%`;
}

/** "850 ms", "12.4 s", "3 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, "0")} s`;
}
