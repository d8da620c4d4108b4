import { Badge, Box, Code, Group, Stack, Text } from "@mantine/core";
import { RISK_COLOR, RiskBadge } from "../../../components/badges";
import { EmptyState } from "../../../components/QueryState";
import type { ReviewRequestDetailFragment } from "../../../gql/graphql";

type BlastRadiusEntry = ReviewRequestDetailFragment["blastRadius"][number];

/**
 * Everything the version and its resolved dependency tree may touch once installed (riskiest first,
 * as the server orders it), and which skill in the tree asks for each permission.
 */
export function BlastRadiusList({ entries, self }: { entries: readonly BlastRadiusEntry[]; self: string }) {
  if (entries.length === 0) {
    return <EmptyState title="No permissions in the tree">Neither this version nor its dependencies request any permission.</EmptyState>;
  }
  return (
    <Stack gap={6} component="ul" p={0} m={0} style={{ listStyle: "none" }} data-testid="blast-radius">
      {entries.map((entry) => {
        const viaDependencies = !entry.requestedBy.includes(self);
        return (
          <Box
            component="li"
            key={entry.permission}
            px="sm"
            py={8}
            style={{ borderLeft: `4px solid var(--mantine-color-${RISK_COLOR[entry.risk]}-5)`, borderRadius: "var(--mantine-radius-sm)" }}
            data-testid="blast-radius-row"
            data-permission={entry.permission}
            data-risk={entry.risk}
          >
            <Group justify="space-between" gap="xs" wrap="wrap">
              <Stack gap={2} style={{ minWidth: 0 }}>
                <Group gap={6} wrap="wrap">
                  <Code style={{ overflowWrap: "anywhere" }}>{entry.permission}</Code>
                  {viaDependencies && (
                    <Badge size="xs" variant="light" color="grape">
                      only via dependencies
                    </Badge>
                  )}
                </Group>
                <Text size="xs" c="dimmed" style={{ overflowWrap: "anywhere" }}>
                  requested by {entry.requestedBy.join(", ")}
                </Text>
              </Stack>
              <RiskBadge risk={entry.risk} />
            </Group>
          </Box>
        );
      })}
    </Stack>
  );
}
