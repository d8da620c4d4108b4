import { Anchor, Badge, Code, Group, Paper, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import { CopyableValue } from "../../../components/CopyableValue";
import { statusLabel, type VersionStatus } from "../../../components/badges";
import { isInstallable, pluginInstallCommand } from "../claude-code";
import { distributionPath } from "../distribution-url";

interface Channel {
  name: string;
  version: { version: string; status: VersionStatus; plugin: { sha256: string } | null } | null;
}

interface Marketplace {
  channel: string | null;
  name: string;
  addCommand: string;
}

/**
 * How to install a skill in Claude Code from each of its channels (latest first): add the channel's
 * marketplace, then install the plugin from it, whose archive the catalog pins by sha256.
 */
export function InstallInClaudeCode({
  skillName,
  channels,
  marketplaces,
}: {
  skillName: string;
  channels: readonly Channel[];
  marketplaces: readonly Marketplace[];
}) {
  return (
    <Stack gap="sm" data-testid="claude-code-install">
      <Text size="sm" c="dimmed" maw={900}>
        Add the marketplace once per machine, then install {skillName} from it. Machines with Skillyard’s managed settings already have their team’s
        marketplace, and get required skills without asking:{" "}
        <Anchor component={Link} to={distributionPath({ tab: "required" })} size="sm">
          see Distribution
        </Anchor>
        .
      </Text>
      {channels.map((channel) => {
        const marketplace = marketplaces.find((m) => (m.channel ?? "latest") === channel.name);
        const version = channel.version;
        return (
          <Paper key={channel.name} withBorder p="sm" data-testid="claude-code-channel" data-channel={channel.name}>
            <Stack gap={6}>
              <Group gap="xs" wrap="wrap">
                <Text fw={600}>{channel.name}</Text>
                {version && (
                  <Badge variant="outline" color="gray" tt="none" ff="monospace">
                    {version.version}
                  </Badge>
                )}
                {marketplace && (
                  <Text size="sm" c="dimmed">
                    from the {marketplace.name} marketplace
                  </Text>
                )}
              </Group>
              {version && isInstallable(version.status) && marketplace ? (
                <>
                  <Text size="xs" c="dimmed">
                    1. Add the marketplace
                  </Text>
                  <CopyableValue value={marketplace.addCommand} what={`command that adds ${marketplace.name}`} testId="claude-code-add-marketplace" />
                  <Text size="xs" c="dimmed">
                    2. Install {skillName}
                  </Text>
                  <CopyableValue
                    value={pluginInstallCommand(skillName, marketplace.name)}
                    what={`command that installs ${skillName} from ${marketplace.name}`}
                    testId="claude-code-install-command"
                  />
                  {version.plugin && (
                    <Text size="xs" c="dimmed" data-testid="claude-code-plugin-sha">
                      Plugin archive sha256 <Code style={{ wordBreak: "break-all" }}>{version.plugin.sha256}</Code>
                    </Text>
                  )}
                </>
              ) : (
                <Text size="sm" c="dimmed" data-testid="claude-code-not-installable">
                  {version ? `${version.version} is ${statusLabel(version.status)}: no marketplace lists it.` : "Nothing installable on this channel yet."}
                </Text>
              )}
            </Stack>
          </Paper>
        );
      })}
    </Stack>
  );
}
