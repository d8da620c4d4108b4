import { useApolloClient, useQuery } from "@apollo/client/react";
import { Alert, Button, Code, CopyButton, Group, Paper, ScrollArea, Select, Stack, Text, Title } from "@mantine/core";
import { IconCheck, IconCopy, IconDownload, IconEyeOff, IconLock, IconSettings } from "@tabler/icons-react";
import { useRef, useState } from "react";
import { useSession } from "../../../auth/session";
import { ActionError } from "../../../components/ErrorMessage";
import { CopyableValue } from "../../../components/CopyableValue";
import { DistributionManagedSettingsDocument, DistributionRequiredSkillsDocument, type DistributionMarketplacesQuery } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { MANAGED_SETTINGS_FILE, MANAGED_SETTINGS_PATH, managedSettingsCommand } from "../claude-code";
import { knownTeams } from "./teams";
import { TeamPicker } from "./TeamPicker";

type Marketplace = DistributionMarketplacesQuery["marketplaces"][number];

/** The Select's value for the base catalog (a channel name is never "latest"). */
const LATEST = "latest";

interface Generated {
  channel: string | null;
  team: string | null;
  json: string;
}

/** Saves `json` as managed-settings.json through the browser's download. */
function download(json: string): void {
  const url = URL.createObjectURL(new Blob([json], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = MANAGED_SETTINGS_FILE;
  link.click();
  // After the click has handed the file to the browser.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * Generates a team's managed settings on demand. The JSON carries distribution tokens, so it is
 * fetched without the cache, kept only in this component's state and gone when the choice changes.
 */
export function ManagedSettingsPanel({ marketplaces }: { marketplaces: readonly Marketplace[] }) {
  const session = useSession();
  const client = useApolloClient();
  // Teams with required skills, to offer admins beside their own.
  const requirements = useQuery(DistributionRequiredSkillsDocument, { variables: { team: null }, skip: !session.isAdmin }).data?.requiredSkills ?? [];
  const maintained = [...session.maintainedTeams].sort();
  const [channel, setChannel] = useState<string | null>(null);
  const [team, setTeam] = useState<string | null>(session.isAdmin ? null : (maintained[0] ?? null));
  const [generated, setGenerated] = useState<Generated | null>(null);
  const [failure, setFailure] = useState<DescribedError | null>(null);
  const [loading, setLoading] = useState(false);
  // Bumped by every new choice and request: an answer for an earlier one is dropped.
  const latestRequest = useRef(0);

  if (!session.isAdmin && maintained.length === 0) {
    return (
      <Alert color="gray" icon={<IconLock size={18} />} title="Admins and team maintainers only" data-testid="settings-not-allowed">
        The managed settings carry the tokens machines use to reach Skillyard, so only admins and a team’s maintainers generate them.
      </Alert>
    );
  }

  const choose = (next: { channel?: string | null; team?: string | null }) => {
    latestRequest.current += 1;
    setLoading(false);
    setGenerated(null);
    setFailure(null);
    if (next.channel !== undefined) setChannel(next.channel);
    if (next.team !== undefined) setTeam(next.team);
  };

  async function generate() {
    const request = ++latestRequest.current;
    setFailure(null);
    setGenerated(null);
    setLoading(true);
    try {
      const result = await client.query({ query: DistributionManagedSettingsDocument, variables: { channel, team }, fetchPolicy: "no-cache" });
      if (request === latestRequest.current && result.data) {
        setGenerated({ channel, team, json: `${JSON.stringify(result.data.managedSettings, null, 2)}\n` });
      }
    } catch (error) {
      if (request === latestRequest.current) setFailure(describeError(error));
    } finally {
      if (request === latestRequest.current) setLoading(false);
    }
  }

  const command = managedSettingsCommand(channel, team);

  return (
    <Stack gap="md" data-testid="managed-settings">
      <Text size="sm" maw={900}>
        One file per team and channel sets up Claude Code on every machine: only Skillyard’s marketplaces allowed, the channel’s catalog added, the team’s
        required skills and the runtime policy enabled, usage reported back. Put it at <Code>{MANAGED_SETTINGS_PATH}</Code> on Linux machines, through your MDM.{" "}
        <b>It carries distribution tokens: handle it as a secret.</b>
      </Text>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <Select
          label="Channel"
          value={channel ?? LATEST}
          onChange={(value) => choose({ channel: value === null || value === LATEST ? null : value })}
          data={marketplaces.map((marketplace) => ({
            value: marketplace.channel ?? LATEST,
            label: marketplace.channel ? `${marketplace.channel} (${marketplace.name})` : `latest (${marketplace.name})`,
          }))}
          allowDeselect={false}
          w={{ base: "100%", xs: 260 }}
          data-testid="settings-channel"
        />
        <TeamPicker
          value={team}
          onChange={(next) => choose({ team: next })}
          everyone={session.isAdmin}
          groups={session.isAdmin ? knownTeams(session, requirements) : [{ label: "Teams you maintain", teams: maintained }]}
          allowOther={session.isAdmin}
          label="Team"
          testId="settings-team"
        />
        <Button leftSection={<IconSettings size={16} />} onClick={() => void generate()} loading={loading} data-testid="settings-generate">
          Generate
        </Button>
      </Group>
      <Stack gap={4}>
        <Text size="xs" c="dimmed">
          The same file from the CLI:
        </Text>
        <CopyableValue value={command} what="command" testId="settings-cli-command" />
      </Stack>
      {failure && <ActionError title="Not generated" error={failure} testId="settings-error" />}
      {generated && <GeneratedSettings generated={generated} onHide={() => setGenerated(null)} />}
    </Stack>
  );
}

function GeneratedSettings({ generated, onHide }: { generated: Generated; onHide: () => void }) {
  return (
    <Paper withBorder p="sm" data-testid="settings-result">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Title order={3} size="h5">
            {MANAGED_SETTINGS_FILE} for {generated.team ?? "everyone"} on {generated.channel ?? "latest"}
          </Title>
          <Group gap="xs">
            <Button size="xs" leftSection={<IconDownload size={14} />} onClick={() => download(generated.json)} data-testid="settings-download">
              Download
            </Button>
            <CopyButton value={generated.json}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" leftSection={copied ? <IconCheck size={14} /> : <IconCopy size={14} />} onClick={copy}>
                  {copied ? "Copied" : "Copy"}
                </Button>
              )}
            </CopyButton>
            <Button size="xs" variant="subtle" color="gray" leftSection={<IconEyeOff size={14} />} onClick={onHide} data-testid="settings-hide">
              Hide
            </Button>
          </Group>
        </Group>
        <ScrollArea.Autosize mah={420} type="auto" offsetScrollbars>
          <Code block style={{ whiteSpace: "pre" }} data-testid="settings-json" tabIndex={0} aria-label={`${MANAGED_SETTINGS_FILE} contents`}>
            {generated.json}
          </Code>
        </ScrollArea.Autosize>
      </Stack>
    </Paper>
  );
}
