import { useMutation, useQuery } from "@apollo/client/react";
import { Alert, Anchor, Badge, Button, Group, Paper, Stack, Table, Text } from "@mantine/core";
import { IconCheck, IconLock, IconPlus } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useSession } from "../../../auth/session";
import { ActionError } from "../../../components/ErrorMessage";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { useWideScreen } from "../../../components/useWideScreen";
import { DistributionRequiredSkillsDocument, DistributionSetRequiredSkillDocument, type DistributionRequirementFragment } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { SkillPicker } from "./SkillPicker";
import { canManageDistribution, knownTeams } from "./teams";
import { TeamPicker } from "./TeamPicker";

type Requirement = DistributionRequirementFragment;

const scopeWords = (team: string | null) => (team === null ? "everyone" : team);

/**
 * What the machines of a team (or of everyone) get through managed settings: the team's own
 * required skills and the organisation-wide ones. Who may change a list edits it here.
 */
export function RequiredSkillsPanel({ team, onTeamChange }: { team: string | null; onTeamChange: (team: string | null) => void }) {
  const session = useSession();
  // Every requirement: the organisation-wide list, and the teams that have requirements to offer.
  const everything = useQuery(DistributionRequiredSkillsDocument, { variables: { team: null } });
  // A team's list is fetched whenever it is shown: a change made while another team was shown
  // refetches only the lists on screen, so a list kept from earlier could be out of date.
  const forTeam = useQuery(DistributionRequiredSkillsDocument, { variables: { team }, skip: team === null, fetchPolicy: "network-only" });
  const current = team === null ? everything : forTeam;
  const editable = canManageDistribution(session, team);
  // What the last change did, for the list it was made in (the team can also change with Back).
  const [outcome, setOutcome] = useState<{ team: string | null; notice: string | null; failure: DescribedError | null } | null>(null);
  const notice = outcome?.team === team ? outcome.notice : null;
  const failure = outcome?.team === team ? outcome.failure : null;
  const [setRequired, { loading }] = useMutation(DistributionSetRequiredSkillDocument, {
    refetchQueries: [DistributionRequiredSkillsDocument],
    awaitRefetchQueries: true,
  });

  const change = async (skill: string, required: boolean): Promise<boolean> => {
    setOutcome(null);
    try {
      const result = await setRequired({ variables: { input: { skill, team, required } } });
      const payload = result.data?.setRequiredSkill;
      if (payload) {
        const scope = scopeWords(team);
        const message = payload.changed
          ? required
            ? `${payload.skill.name} is now required for ${scope}.`
            : `${payload.skill.name} is no longer required for ${scope}.`
          : required
            ? `${payload.skill.name} was already required for ${scope}.`
            : `${payload.skill.name} was not required for ${scope}.`;
        setOutcome({ team, notice: message, failure: null });
      }
      return true;
    } catch (error) {
      setOutcome({ team, notice: null, failure: describeError(error) });
      return false;
    }
  };

  return (
    <Stack gap="md" data-testid="required-skills" data-team={team ?? ""} data-editable={editable}>
      <TeamPicker
        value={team}
        onChange={(next) => {
          setOutcome(null);
          onTeamChange(next);
        }}
        everyone
        groups={knownTeams(session, everything.data?.requiredSkills ?? [])}
        allowOther
        label="Machines of"
        description={
          team === null
            ? "Every machine with Skillyard’s managed settings gets these skills, whatever its team."
            : `Machines of ${team} get these: the team’s own required skills and the organisation-wide ones.`
        }
        testId="required-team"
      />

      {editable ? (
        <RequireSkillForm team={team} loading={loading} onRequire={(skill) => change(skill, true)} />
      ) : (
        <Text size="sm" c="dimmed" data-testid="required-read-only">
          <IconLock size={12} style={{ verticalAlign: "-1px" }} />{" "}
          {team === null
            ? "Only admins choose what everyone gets."
            : `Only maintainers of ${team} and admins choose what its machines get. You can see the list.`}
        </Text>
      )}
      {notice && (
        <Alert color="green" icon={<IconCheck size={18} />} withCloseButton onClose={() => setOutcome(null)} data-testid="required-notice">
          {notice}
        </Alert>
      )}
      {failure && <ActionError title="Not changed" error={failure} testId="required-error" />}

      <QueryState data={current.data} error={current.error} refetch={() => void current.refetch()}>
        {({ requiredSkills }) => {
          const shown = team === null ? requiredSkills.filter((r) => r.team === null) : requiredSkills;
          if (shown.length === 0) {
            return (
              <EmptyState title={team === null ? "Nothing is required for everyone" : `Nothing is required for ${team}`}>
                {editable ? "Add a skill above: every machine in scope installs it with the next managed settings update." : null}
              </EmptyState>
            );
          }
          return <RequirementsList requirements={shown} team={team} canRemove={editable} busy={loading} onRemove={(skill) => void change(skill, false)} />;
        }}
      </QueryState>
    </Stack>
  );
}

function RequireSkillForm({ team, loading, onRequire }: { team: string | null; loading: boolean; onRequire: (skill: string) => Promise<boolean> }) {
  const [skill, setSkill] = useState("");
  const [missing, setMissing] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const name = skill.trim();
    setMissing(name === "");
    if (name === "") return;
    if (await onRequire(name)) setSkill("");
  }

  return (
    <form onSubmit={submit} noValidate aria-label={`Require a skill for ${scopeWords(team)}`}>
      <Group align="flex-end" gap="xs" wrap="wrap">
        <SkillPicker
          value={skill}
          onChange={(name) => {
            setSkill(name);
            setMissing(false);
          }}
          error={missing ? "Name a skill to require." : null}
          testId="required-skill-input"
        />
        <Button type="submit" leftSection={<IconPlus size={16} />} loading={loading} data-testid="required-add">
          Require for {scopeWords(team)}
        </Button>
      </Group>
    </form>
  );
}

interface RequirementsProps {
  requirements: readonly Requirement[];
  /** The scope shown: only its own requirements can be removed here. */
  team: string | null;
  canRemove: boolean;
  busy: boolean;
  onRemove: (skill: string) => void;
}

/** A table on wide screens; on phones one card per requirement, so its scope and Remove stay in view. */
function RequirementsList(props: RequirementsProps) {
  const narrow = !useWideScreen("48em");
  return narrow ? <RequirementCards {...props} /> : <RequirementRows {...props} />;
}

const rowProps = (requirement: Requirement) => ({
  "data-testid": "required-row",
  "data-skill": requirement.skill.name,
  "data-scope": requirement.team?.name ?? "",
});

function RequirementRows({ requirements, team, canRemove, busy, onRemove }: RequirementsProps) {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table verticalSpacing="sm" data-testid="required-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Skill</Table.Th>
            <Table.Th>Latest version</Table.Th>
            <Table.Th>Required for</Table.Th>
            <Table.Th>Added</Table.Th>
            {canRemove && <Table.Th w={130} />}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {requirements.map((requirement) => (
            <Table.Tr key={`${requirement.skill.id}:${requirement.team?.id ?? ""}`} {...rowProps(requirement)}>
              <Table.Td>
                <SkillName requirement={requirement} />
              </Table.Td>
              <Table.Td>
                <Text ff="monospace" size="sm">
                  {requirement.skill.latestVersion?.version ?? "—"}
                </Text>
              </Table.Td>
              <Table.Td>
                <Scope requirement={requirement} />
              </Table.Td>
              <Table.Td>
                <Added requirement={requirement} />
              </Table.Td>
              {canRemove && (
                <Table.Td>
                  <RemoveControl requirement={requirement} team={team} busy={busy} onRemove={onRemove} />
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function RequirementCards({ requirements, team, canRemove, busy, onRemove }: RequirementsProps) {
  return (
    <Stack gap="xs" data-testid="required-table">
      {requirements.map((requirement) => (
        <Paper key={`${requirement.skill.id}:${requirement.team?.id ?? ""}`} withBorder p="sm" {...rowProps(requirement)}>
          <Stack gap="xs">
            <Group justify="space-between" align="flex-start" wrap="nowrap" gap="xs">
              <SkillName requirement={requirement} />
              <Text ff="monospace" size="sm">
                {requirement.skill.latestVersion?.version ?? "—"}
              </Text>
            </Group>
            <Group justify="space-between" gap="xs">
              <Scope requirement={requirement} />
              <Added requirement={requirement} />
            </Group>
            {canRemove && (
              <Group justify="flex-end">
                <RemoveControl requirement={requirement} team={team} busy={busy} onRemove={onRemove} />
              </Group>
            )}
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}

function SkillName({ requirement }: { requirement: Requirement }) {
  return (
    <Stack gap={0} style={{ minWidth: 0 }}>
      <Anchor component={Link} to={`/skills/${encodeURIComponent(requirement.skill.name)}`} fw={600} size="sm">
        {requirement.skill.name}
      </Anchor>
      <Text size="xs" c="dimmed" lineClamp={1}>
        {requirement.skill.description}
      </Text>
    </Stack>
  );
}

function Scope({ requirement }: { requirement: Requirement }) {
  return requirement.team ? (
    <Badge variant="light" tt="none">
      {requirement.team.name}
    </Badge>
  ) : (
    <Badge variant="light" color="grape" tt="none" data-testid="organisation-wide">
      everyone
    </Badge>
  );
}

function Added({ requirement }: { requirement: Requirement }) {
  return (
    <Text size="sm">
      <RelativeTime iso={requirement.createdAt} />
      {requirement.createdBy && ` by ${requirement.createdBy.handle}`}
    </Text>
  );
}

/** Remove for a requirement of the scope shown; an organisation-wide one in a team's list is changed under Everyone. */
function RemoveControl({
  requirement,
  team,
  busy,
  onRemove,
}: {
  requirement: Requirement;
  team: string | null;
  busy: boolean;
  onRemove: (skill: string) => void;
}) {
  if ((requirement.team?.name ?? null) !== team) {
    return (
      <Text size="xs" c="dimmed">
        set for everyone
      </Text>
    );
  }
  return (
    <Button
      size="xs"
      variant="light"
      color="red"
      disabled={busy}
      onClick={() => onRemove(requirement.skill.name)}
      aria-label={`Stop requiring ${requirement.skill.name} for ${scopeWords(team)}`}
      data-testid="required-remove"
    >
      Remove
    </Button>
  );
}
