import { SegmentedControl } from "@mantine/core";
import { USAGE_WINDOWS, usageWindow, type UsageWindow } from "../usage-url";

/** How many weeks back a usage view looks: 4, 12 or 26. */
export function WindowPicker({ value, onChange, testId }: { value: UsageWindow; onChange: (weeks: UsageWindow) => void; testId: string }) {
  return (
    <SegmentedControl
      size="xs"
      value={String(value)}
      onChange={(next) => {
        const weeks = usageWindow(next);
        if (weeks !== null) onChange(weeks);
      }}
      data={USAGE_WINDOWS.map((weeks) => ({ value: String(weeks), label: `${weeks} weeks` }))}
      aria-label="Window"
      data-testid={testId}
      data-weeks={value}
    />
  );
}
