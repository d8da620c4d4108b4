import { useMutation, useQuery } from "@apollo/client/react";
import { Badge, Button, Group, Paper, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { IconLock, IconRocket } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import { useSession } from "../../../auth/session";
import { ActionError } from "../../../components/ErrorMessage";
import { RelativeTime } from "../../../components/RelativeTime";
import { UsageMarkPlatformUpdateDocument, UsagePlatformUpdatesDocument, UsageReviewsDueDocument, type PlatformUpdateKind } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { MAX_UPDATE_DESCRIPTION, PLATFORM_UPDATE_KINDS, platformUpdateKindLabel } from "../usage-format";

/** How many of the latest platform updates are listed. */
const SHOWN = 3;

/**
 * Significant platform updates (a runtime image, a Claude Code version): marking one makes every
 * low-usage skill not reviewed since due. Admins mark them; reviewers see the latest.
 */
export function PlatformUpdates({ onMarked }: { onMarked: (description: string) => void }) {
  const session = useSession();
  const { data } = useQuery(UsagePlatformUpdatesDocument);
  const updates = data?.platformUpdates ?? [];
  return (
    <Paper withBorder p="md" data-testid="platform-updates">
      <Stack gap="sm">
        <Stack gap={2}>
          <Title order={3} size="h5">
            Platform updates
          </Title>
          <Text size="sm" c="dimmed">
            Low-usage skills are reviewed after significant platform updates: marking one makes each of them due unless it was reviewed since.
          </Text>
        </Stack>
        {session.isAdmin ? (
          <MarkUpdateForm onMarked={onMarked} />
        ) : (
          <Text size="sm" c="dimmed" data-testid="platform-update-read-only">
            <IconLock size={12} style={{ verticalAlign: "-1px" }} /> Admins mark platform updates.
          </Text>
        )}
        {updates.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="platform-updates-none">
            No platform update marked yet.
          </Text>
        ) : (
          <Stack gap={4} data-testid="platform-update-list">
            {updates.slice(0, SHOWN).map((update) => (
              <Group key={update.id} gap="xs" wrap="wrap" data-testid="platform-update" data-kind={update.kind}>
                <Badge variant="light" color="cyan" tt="none" miw="max-content">
                  {platformUpdateKindLabel(update.kind)}
                </Badge>
                <Text size="sm" fw={500} style={{ overflowWrap: "anywhere" }}>
                  {update.description}
                </Text>
                <Text size="xs" c="dimmed">
                  {update.createdBy ? `${update.createdBy.handle}, ` : ""}
                  <RelativeTime iso={update.createdAt} />
                </Text>
              </Group>
            ))}
            {updates.length > SHOWN && (
              <Text size="xs" c="dimmed">
                and {updates.length - SHOWN} earlier
              </Text>
            )}
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}

function MarkUpdateForm({ onMarked }: { onMarked: (description: string) => void }) {
  const [kind, setKind] = useState<PlatformUpdateKind>("RUNTIME_IMAGE");
  const [description, setDescription] = useState("");
  const [missing, setMissing] = useState(false);
  const [failure, setFailure] = useState<DescribedError | null>(null);
  const [mark, { loading }] = useMutation(UsageMarkPlatformUpdateDocument, {
    refetchQueries: [UsagePlatformUpdatesDocument, UsageReviewsDueDocument],
    awaitRefetchQueries: true,
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const text = description.trim();
    setMissing(text === "");
    if (text === "") return;
    setFailure(null);
    try {
      await mark({ variables: { input: { kind, description: text } } });
      setDescription("");
      onMarked(text);
    } catch (error) {
      setFailure(describeError(error));
    }
  }

  const example = PLATFORM_UPDATE_KINDS.find((k) => k.value === kind)?.example;
  return (
    <form onSubmit={submit} noValidate aria-label="Mark a platform update">
      <Stack gap="xs">
        <Group align="flex-start" gap="xs" wrap="wrap">
          <Select
            label="Kind"
            data={PLATFORM_UPDATE_KINDS.map((k) => ({ value: k.value, label: k.label }))}
            value={kind}
            onChange={(value) => value && setKind(value as PlatformUpdateKind)}
            allowDeselect={false}
            w={{ base: "100%", xs: 200 }}
            comboboxProps={{ withinPortal: true }}
            data-testid="platform-update-kind"
          />
          <TextInput
            label="What changed"
            placeholder={example}
            value={description}
            onChange={(event) => {
              setDescription(event.currentTarget.value);
              setMissing(false);
              if (failure?.argument === "description") setFailure(null);
            }}
            maxLength={MAX_UPDATE_DESCRIPTION}
            error={missing ? "Say what changed." : failure?.argument === "description" ? failure.message : null}
            style={{ flex: "1 1 280px" }}
            data-testid="platform-update-description"
          />
          <Button type="submit" mt={{ base: 0, xs: 25 }} leftSection={<IconRocket size={16} />} loading={loading} data-testid="platform-update-mark">
            Mark update
          </Button>
        </Group>
        {failure && <ActionError title="Not marked" error={failure} testId="platform-update-error" />}
      </Stack>
    </form>
  );
}
