import { Badge, Tooltip, type MantineSize } from "@mantine/core";
import type { UsageTier } from "../../../gql/graphql";
import { TIER_INFO } from "../usage-format";

/** A skill's usage tier, with what the tier means for its reviews on hover. */
export function UsageTierBadge({ tier, size = "sm" }: { tier: UsageTier; size?: MantineSize }) {
  const info = TIER_INFO[tier];
  return (
    <Tooltip label={`${tier.toLowerCase()} tier: ${info.cadence}`} withArrow multiline maw={280}>
      <Badge
        size={size}
        color={info.color}
        variant={tier === "HIGH" ? "filled" : tier === "MEDIUM" ? "light" : "outline"}
        tt="none"
        miw="max-content"
        data-testid="usage-tier"
        data-tier={tier}
      >
        {info.label}
      </Badge>
    </Tooltip>
  );
}
