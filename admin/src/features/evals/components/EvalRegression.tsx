import { Alert, Badge, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { IconTrendingDown } from "@tabler/icons-react";
import type { EvalBaselineCaseFragment, EvalCaseFieldsFragment, EvalsReviewRunFragment } from "../../../gql/graphql";
import { caseProblems, formatScore, formatScoreChange } from "../eval-format";
import { OutputBlock } from "./EvalCaseDetail";

export interface WorseCase {
  name: string;
  before: number;
  after: number;
  now: EvalCaseFieldsFragment;
  then: EvalBaselineCaseFragment;
}

/** The cases that scored lower than on the baseline, biggest drop first. */
export function worseCases(run: EvalsReviewRunFragment): WorseCase[] {
  const baseline = new Map((run.baseline?.cases.edges ?? []).map((edge) => [edge.node.name, edge.node]));
  return run.cases.edges
    .flatMap(({ node }) => {
      const then = baseline.get(node.name);
      return then && node.score !== null && then.score !== null && node.score < then.score
        ? [{ name: node.name, before: then.score, after: node.score, now: node, then }]
        : [];
    })
    .sort((a, b) => b.before - b.after - (a.before - a.after) || a.now.index - b.now.index);
}

function WorseCaseCard({ worse, baselineVersion, version }: { worse: WorseCase; baselineVersion: string; version: string }) {
  const problems = caseProblems(worse.now);
  return (
    <Card withBorder padding="sm" data-testid="eval-worse-case" data-case={worse.name} data-before={worse.before} data-after={worse.after}>
      <Stack gap="sm">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Text ff="monospace" fw={600} size="sm" style={{ overflowWrap: "anywhere" }}>
            {worse.name}
          </Text>
          <Group gap={6} wrap="nowrap" aria-label={`Scored ${formatScore(worse.before)} before, ${formatScore(worse.after)} now`}>
            <Badge variant="light" color="gray" tt="none" data-testid="eval-worse-before">
              {formatScore(worse.before)}
            </Badge>
            <Text size="sm" aria-hidden>
              →
            </Text>
            <Badge variant="light" color="red" tt="none" data-testid="eval-worse-after">
              {formatScore(worse.after)}
            </Badge>
            <Text size="sm" c="red.8" fw={600}>
              {formatScoreChange(worse.before, worse.after)}
            </Text>
          </Group>
        </Group>
        {problems.length > 0 && (
          <Text size="sm" style={{ overflowWrap: "anywhere" }} data-testid="eval-worse-why">
            {problems.join(" · ")}
          </Text>
        )}
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
          <OutputBlock text={worse.then.output} label={`Before: ${baselineVersion}`} testId="eval-worse-output-before" truncated={worse.then.truncated} />
          <OutputBlock text={worse.now.output} label={`Now: ${version}`} testId="eval-worse-output-after" truncated={worse.now.truncated} />
        </SimpleGrid>
      </Stack>
    </Card>
  );
}

/**
 * A gate run that scored lower than its baseline (the same suite against the version latest points
 * to): the two scores, and each case that got worse with its old and new output side by side.
 */
export function EvalRegression({ run, version }: { run: EvalsReviewRunFragment; version: string }) {
  const baselineVersion = run.baseline?.version.version ?? "the previous version";
  const worse = worseCases(run);
  return (
    <Stack gap="sm" data-testid="eval-regression">
      <Alert color="orange" icon={<IconTrendingDown size={18} />} title={`Scores lower than ${baselineVersion}`} data-testid="eval-regression-summary">
        <Text size="sm">
          On the cases both versions scored, {version} scores <b data-testid="eval-regression-score">{formatScore(run.score)}</b> against{" "}
          <b data-testid="eval-regression-baseline">{formatScore(run.baselineScore)}</b> for {baselineVersion}, the version installed from latest today.
          Approving it accepts the drop: the approval needs a written reason.
        </Text>
      </Alert>
      <Title order={4} size="h5">
        {worse.length === 0 ? "Cases that got worse" : `${worse.length} ${worse.length === 1 ? "case" : "cases"} got worse`}
      </Title>
      {worse.length === 0 && (
        <Text size="sm" c="dimmed">
          None of the cases shown here can be matched with a lower score on the baseline: open the eval run for all of them.
        </Text>
      )}
      {worse.map((entry) => (
        <WorseCaseCard key={entry.name} worse={entry} baselineVersion={baselineVersion} version={version} />
      ))}
    </Stack>
  );
}
