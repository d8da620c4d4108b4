import { Anchor, Code, Group, Stack, Text, Tooltip } from "@mantine/core";
import type { ReactNode } from "react";
import { Link } from "react-router";
import type { AuditEventFieldsFragment, EvalRunPurpose } from "../../../gql/graphql";
import { EVAL_PURPOSE_INFO, formatScore } from "../../evals/eval-format";
import { directoryGroupsPath } from "../../directory/directory-url";
import { evalRunPath } from "../../evals/evals-url";

type AuditEvent = AuditEventFieldsFragment;

/** A string field of the event's after (or, failing that, before) state. */
function field(event: AuditEvent, key: string): string | null {
  const value = event.after?.[key] ?? event.before?.[key];
  return typeof value === "string" ? value : null;
}

const TARGET_TYPE_LABEL: Record<string, string> = {
  SkillVersion: "Skill version",
  SkillChannel: "Channel",
  ApiToken: "API token",
  User: "User",
  Team: "Team",
  Membership: "Team membership",
  Permission: "Permission",
  Webhook: "Webhook",
  Skill: "Skill",
  PlatformUpdate: "Platform update",
  GroupMapping: "Directory group mapping",
  DirectoryGroup: "Directory group",
};

function SkillLink({ name }: { name: string }) {
  return (
    <Anchor component={Link} to={`/skills/${encodeURIComponent(name)}`} fw={500} data-testid="audit-skill-link">
      {name}
    </Anchor>
  );
}

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);
const score = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

/** "passed: 0.86 (min 0.80), 0.99 for the baseline" / "failed: 0.71 (min 0.80), down from 0.86, re-evaluation": an eval run's outcome. */
function evalNote(event: AuditEvent): string | null {
  const after = event.after ?? {};
  const status = text(after["status"])?.replaceAll("_", " ").toLowerCase() ?? null;
  const now = score(after["score"]);
  const min = score(after["minScore"]);
  const baseline = score(after["baselineScore"]);
  const previous = score(after["previousScore"]);
  const scored = now === null ? null : `${formatScore(now)}${min === null ? "" : ` (min ${formatScore(min)})`}`;
  const compared =
    previous !== null
      ? after["regressed"] === true
        ? `down from ${formatScore(previous)}`
        : `${formatScore(previous)} before`
      : baseline !== null
        ? `${formatScore(baseline)} for the baseline`
        : null;
  const purpose = text(after["purpose"]);
  const purposeLabel =
    purpose && purpose !== "GATE"
      ? Object.hasOwn(EVAL_PURPOSE_INFO, purpose)
        ? EVAL_PURPOSE_INFO[purpose as EvalRunPurpose].label
        : purpose.toLowerCase()
      : null;
  return [[status, scored].filter(Boolean).join(": "), compared, purposeLabel].filter(Boolean).join(", ") || null;
}

/** A one-line outcome worth reading without expanding the changes. */
function note(event: AuditEvent): string | null {
  const reason = typeof event.after?.["reason"] === "string" ? event.after["reason"] : null;
  switch (event.action) {
    case "USAGE_TIER_CHANGE": {
      const from = text(event.before?.["tier"]);
      const to = text(event.after?.["tier"]);
      const weekly = event.after?.["weeklyInvocations"];
      const change = from && to ? `${from.toLowerCase()} → ${to.toLowerCase()}` : to?.toLowerCase();
      return [change, typeof weekly === "number" ? `${Math.round(weekly).toLocaleString("en")} invocations a week` : null].filter(Boolean).join(": ") || null;
    }
    case "QUALITY_REVIEW_DUE":
      return reason;
    case "QUALITY_REVIEW": {
      const outcome = text(event.after?.["outcome"]);
      return [outcome?.replaceAll("_", " ").toLowerCase(), text(event.after?.["notes"])].filter(Boolean).join(": ") || null;
    }
    case "PLATFORM_UPDATE":
      return text(event.after?.["kind"])?.replaceAll("_", " ").toLowerCase() ?? null;
    case "EVAL_OUTCOME":
    case "EVAL_DRIFT":
      return evalNote(event);
  }
  if (event.action === "TEST_OUTCOME") {
    const status = typeof event.after?.["status"] === "string" ? event.after["status"].toLowerCase() : null;
    return [status, reason].filter(Boolean).join(": ") || null;
  }
  if (event.action === "REJECT") return reason;
  if (event.action === "CHANNEL_MOVE") return [event.after?.["rollback"] === true ? "rollback" : null, reason].filter(Boolean).join(": ") || null;
  return null;
}

/** What the event acted on, in words, with links to the pages that show it. */
function describe(event: AuditEvent): { summary: ReactNode; links: ReactNode[] } {
  const skillName = event.skill?.name ?? field(event, "name");
  const skill = skillName ? <SkillLink name={skillName} /> : null;
  switch (event.targetType) {
    case "SkillVersion": {
      const version = event.version?.version ?? field(event, "version");
      const links: ReactNode[] = [];
      if (event.version) {
        links.push(
          <Anchor key="review" component={Link} to={`/reviews/${event.version.id}`} size="sm" data-testid="audit-version-link">
            Version page
          </Anchor>,
        );
      }
      const evalRunId = event.evalRunId;
      if (evalRunId) {
        links.push(
          <Anchor key="eval" component={Link} to={evalRunPath(evalRunId)} size="sm" data-testid="audit-eval-run-link">
            Eval run
          </Anchor>,
        );
      }
      if (event.testRunId) {
        links.push(
          <Anchor key="run" component={Link} to={`/runs/${event.testRunId}`} size="sm" data-testid="audit-run-link">
            Test run
          </Anchor>,
        );
      }
      return {
        summary: (
          <>
            {skill ?? "A skill"}
            {version && <Text span>@{version}</Text>}
          </>
        ),
        links,
      };
    }
    case "SkillChannel": {
      const channel = field(event, "channel");
      const version = typeof event.after?.["version"] === "string" ? event.after["version"] : null;
      return {
        summary: (
          <>
            {skill ?? "A skill"}
            {channel && <Text span> channel “{channel}”</Text>}
            {version && <Text span> → {version}</Text>}
          </>
        ),
        links: [],
      };
    }
    case "ApiToken": {
      const name = field(event, "name");
      const prefix = field(event, "prefix");
      const user = field(event, "user");
      return {
        summary: name ? (
          <>
            “{name}”{prefix && <Code ml={4}>{prefix}…</Code>}
            {user && <Text span> for {user}</Text>}
          </>
        ) : null,
        links: [],
      };
    }
    case "User":
      return { summary: field(event, "handle"), links: [] };
    case "Team":
      return { summary: field(event, "name"), links: [] };
    case "Membership": {
      const user = field(event, "user");
      const team = field(event, "team");
      return { summary: user && team ? `${user} in ${team}` : null, links: [] };
    }
    case "Permission":
      return { summary: <Code>{event.targetId}</Code>, links: [] };
    case "Webhook":
      return { summary: field(event, "url"), links: [] };
    case "PlatformUpdate":
      return { summary: field(event, "description"), links: [] };
    case "GroupMapping": {
      const group = field(event, "group");
      const team = field(event, "team");
      const grant = team ? `team ${team} as ${(field(event, "teamRole") ?? "MEMBER").toLowerCase()}` : field(event, "role")?.toLowerCase();
      return {
        summary: group ? (
          <>
            <Code>{group}</Code>
            {grant && <Text span> → {grant}</Text>}
          </>
        ) : null,
        links: [
          <Anchor key="groups" component={Link} to={directoryGroupsPath()} size="sm" data-testid="audit-directory-groups-link">
            Directory groups
          </Anchor>,
        ],
      };
    }
    case "DirectoryGroup":
      return { summary: field(event, "displayName"), links: [] };
    default:
      return { summary: skill, links: [] };
  }
}

export function AuditTarget({ event }: { event: AuditEvent }) {
  const { summary, links } = describe(event);
  const outcome = note(event);
  return (
    <Stack gap={2} style={{ minWidth: 0 }} data-testid="audit-target">
      {summary && (
        <Text size="sm" component="div" style={{ overflowWrap: "anywhere" }}>
          {summary}
        </Text>
      )}
      {outcome && (
        <Text size="xs" c="dimmed" lineClamp={2} data-testid="audit-note">
          {outcome}
        </Text>
      )}
      <Group gap="xs" wrap="wrap">
        <Tooltip label={`${event.targetType} ${event.targetId}`} withArrow>
          <Text size="xs" c="dimmed" data-testid="audit-target-type">
            {TARGET_TYPE_LABEL[event.targetType] ?? event.targetType}
          </Text>
        </Tooltip>
        {links}
      </Group>
    </Stack>
  );
}
