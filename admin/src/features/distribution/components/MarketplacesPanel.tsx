import { Anchor, Badge, Group, Paper, Stack, Text } from "@mantine/core";
import { CopyableValue } from "../../../components/CopyableValue";
import type { DistributionMarketplacesQuery } from "../../../gql/graphql";

type Marketplace = DistributionMarketplacesQuery["marketplaces"][number];

/** The catalogs Claude Code can add: the base one (latest versions), then one per channel. */
export function MarketplacesPanel({ marketplaces }: { marketplaces: readonly Marketplace[] }) {
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed" maw={900}>
        Each catalog is a Claude Code marketplace listing approved versions only. Add one to Claude Code with its command; machines with managed settings get
        theirs added for them.
      </Text>
      {marketplaces.map((marketplace) => (
        <Paper key={marketplace.name} withBorder p="sm" data-testid="marketplace" data-name={marketplace.name} data-channel={marketplace.channel ?? ""}>
          <Stack gap={6}>
            <Group gap="xs" wrap="wrap">
              <Text fw={600}>{marketplace.name}</Text>
              {marketplace.channel ? (
                <Badge variant="light" tt="none">
                  channel {marketplace.channel}
                </Badge>
              ) : (
                <Badge variant="light" color="teal" tt="none">
                  latest
                </Badge>
              )}
            </Group>
            <Text size="sm" c="dimmed">
              {marketplace.channel
                ? `Each skill at the version its ${marketplace.channel} channel points at; skills without that channel are not listed. Moves when a maintainer moves the channel.`
                : "Every skill at its latest approved version: follows each new release."}
            </Text>
            <Text size="sm">
              Catalog:{" "}
              <Anchor href={marketplace.url} target="_blank" rel="noreferrer" ff="monospace" size="sm" style={{ overflowWrap: "anywhere" }}>
                {marketplace.url}
              </Anchor>
            </Text>
            <CopyableValue value={marketplace.addCommand} what={`command that adds ${marketplace.name}`} testId="marketplace-add-command" />
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}
