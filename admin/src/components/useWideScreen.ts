import { useMediaQuery } from "@mantine/hooks";

/**
 * True when the viewport is at least `minWidth` wide (e.g. "48em"): views pick a table or stacked
 * cards with it. Read on the first render, so a phone never renders the table first and then swaps.
 */
export function useWideScreen(minWidth: string): boolean {
  return useMediaQuery(`(min-width: ${minWidth})`, true, { getInitialValueInEffect: false });
}
