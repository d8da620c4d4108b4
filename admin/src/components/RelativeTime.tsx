import { Tooltip } from "@mantine/core";

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];
const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") return format.format(Math.round(seconds / size), unit);
  }
  return iso;
}

/** "3 hours ago", with the exact time on hover. */
export function RelativeTime({ iso }: { iso: string }) {
  return (
    <Tooltip label={new Date(iso).toLocaleString()} withArrow>
      <time dateTime={iso}>{relativeTime(iso)}</time>
    </Tooltip>
  );
}
