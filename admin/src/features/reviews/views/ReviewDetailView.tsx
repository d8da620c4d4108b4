import { useQuery } from "@apollo/client/react";
import { ActionIcon, Anchor, Button, Code, CopyButton, Grid, Group, Stack, Text, Tooltip } from "@mantine/core";
import { IconArrowLeft, IconCheck, IconCopy } from "@tabler/icons-react";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { useSession } from "../../../auth/session";
import { VersionStatusBadge } from "../../../components/badges";
import { Markdown } from "../../../components/Markdown";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { ReviewDetailDocument, type ReviewDetailQuery } from "../../../gql/graphql";
import { BlastRadiusList } from "../components/BlastRadiusList";
import { DecisionPanel, type DecisionOutcome } from "../components/DecisionPanel";
import { FileDiffList } from "../components/FileDiffList";
import { ManifestSummary } from "../components/ManifestSummary";
import { PermissionDiffList, PermissionDiffSummary } from "../components/PermissionDiffList";
import { ReviewSection } from "../components/ReviewSection";
import { TestResults } from "../components/TestResults";
import { formatBytes } from "../manifest-facts";
import { parseReviewReasons } from "../review-reasons";
import { VersionEvals } from "../../evals/components/VersionEvals";

type ReviewedNode = Extract<NonNullable<ReviewDetailQuery["node"]>, { __typename: "SkillVersion" }>;

function ShortSha({ sha }: { sha: string }) {
  return (
    <Group gap={2} wrap="nowrap" component="span">
      <Code title={sha} data-testid="package-sha">
        {sha.slice(0, 12)}
      </Code>
      <CopyButton value={sha}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? "Copied" : "Copy the full sha256"} withArrow>
            <ActionIcon variant="subtle" color={copied ? "green" : "gray"} size="sm" onClick={copy} aria-label="Copy the full sha256">
              {copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}

function VersionFacts({ version }: { version: ReviewedNode }) {
  const previous = version.reviewRequest?.previousVersion ?? null;
  return (
    <Group gap="md" style={{ rowGap: 4 }} wrap="wrap" component="span" data-testid="review-facts">
      <span>
        by <b data-testid="publisher">{version.publishedBy.handle}</b> · team <b>{version.skill.owner.name}</b>
      </span>
      <Group gap={4} wrap="nowrap" component="span">
        sha256 <ShortSha sha={version.packageSha256} /> {formatBytes(version.packageSize)}
      </Group>
      <span>
        uploaded <RelativeTime iso={version.createdAt} />
      </span>
      {previous && (
        <span>
          compared with{" "}
          <Anchor component={Link} to={`/reviews/${previous.id}`} size="sm" data-testid="previous-version-link">
            {version.skill.name}@{previous.version}
          </Anchor>
        </span>
      )}
    </Group>
  );
}

function ReviewEvidence({ version, onRunFinished }: { version: ReviewedNode; onRunFinished: () => void }) {
  const request = version.reviewRequest;
  const label = `${version.skill.name}@${version.version}`;
  const previous = request?.previousVersion ? `${version.skill.name}@${request.previousVersion.version}` : null;
  const comparison = previous
    ? `Compared with ${previous}, the version installed from latest today.`
    : "There is no earlier published version: everything is new.";
  return (
    <Stack gap="md">
      {request && (
        <>
          <ReviewSection
            title="Permission changes"
            description={comparison}
            aside={
              <Text size="sm" c="dimmed">
                <PermissionDiffSummary changes={request.permissionDiff} />
              </Text>
            }
            testId="section-permissions"
          >
            <PermissionDiffList changes={request.permissionDiff} comparedWith={previous} />
          </ReviewSection>
          <ReviewSection
            title="Blast radius"
            description="Every permission the version and its whole dependency tree get once installed."
            testId="section-blast-radius"
          >
            <BlastRadiusList entries={request.blastRadius} self={label} />
          </ReviewSection>
        </>
      )}
      <ReviewSection title="Tests" description="The newest run in the sandbox." testId="section-tests">
        <TestResults run={version.latestTestRun} onRunFinished={onRunFinished} />
      </ReviewSection>
      <ReviewSection title="Evals" description="The version's eval suite, scored in the sandbox after its tests." testId="section-evals">
        <VersionEvals
          version={version.version}
          suite={version.evalSuite}
          run={version.latestEvalRun}
          suiteRequired={parseReviewReasons(request?.reasons ?? []).some((reason) => reason.kind === "EVALS_MISSING")}
          onRunFinished={onRunFinished}
        />
      </ReviewSection>
      <ReviewSection title="Manifest" testId="section-manifest">
        <ManifestSummary manifest={version.manifest} />
      </ReviewSection>
      {request && (
        <ReviewSection title="Files" description={previous ? `Compared with ${previous}.` : "All files are new."} testId="section-files">
          <FileDiffList files={request.fileDiff} />
        </ReviewSection>
      )}
      <ReviewSection title="README" testId="section-readme">
        {version.readme ? (
          <Markdown source={version.readme} />
        ) : (
          <Text size="sm" c="dimmed">
            The package has no README.
          </Text>
        )}
      </ReviewSection>
    </Stack>
  );
}

function ReviewDetail({ versionId }: { versionId: string }) {
  const session = useSession();
  const { data, error, refetch } = useQuery(ReviewDetailDocument, { variables: { id: versionId } });
  const [outcome, setOutcome] = useState<DecisionOutcome | null>(null);
  const back = session.isReviewer ? (
    <Anchor component={Link} to="/reviews" size="sm" data-testid="back-to-queue">
      <Group gap={4} wrap="nowrap">
        <IconArrowLeft size={14} /> Review queue
      </Group>
    </Anchor>
  ) : null;

  return (
    <Stack gap="xs">
      {back}
      <QueryState data={data} error={error} refetch={() => void refetch()}>
        {({ node }) => {
          if (node?.__typename !== "SkillVersion") {
            return (
              <EmptyState title="No such version">
                There is no skill version with this id, or it is not a version. Check the link, or open the version from the review queue or the catalog.
              </EmptyState>
            );
          }
          const label = `${node.skill.name}@${node.version}`;
          return (
            <div data-testid="review-detail" data-status={node.status}>
              <PageHeader
                title={
                  <Group gap="sm" wrap="wrap" component="span">
                    <span data-testid="review-title">{label}</span>
                    <VersionStatusBadge status={node.status} />
                  </Group>
                }
                subtitle={<VersionFacts version={node} />}
                actions={
                  <Button component={Link} to={`/skills/${node.skill.name}`} variant="default" size="xs">
                    Catalog page
                  </Button>
                }
              />
              <Grid gap="md">
                <Grid.Col span={{ base: 12, lg: 4 }} order={{ base: 1, lg: 2 }}>
                  <DecisionPanel
                    version={{ id: node.id, label, status: node.status, statusReason: node.statusReason }}
                    request={node.reviewRequest}
                    outcome={outcome}
                    onDecided={setOutcome}
                  />
                </Grid.Col>
                <Grid.Col span={{ base: 12, lg: 8 }} order={{ base: 2, lg: 1 }}>
                  <ReviewEvidence version={node} onRunFinished={() => void refetch()} />
                </Grid.Col>
              </Grid>
            </div>
          );
        }}
      </QueryState>
    </Stack>
  );
}

/** One version under review (the route param is the SkillVersion global id, as the CLI links it). */
export function ReviewDetailView() {
  const { versionId = "" } = useParams();
  // Another version is another review: start from fresh state (outcome, comment) rather than carry it over.
  return <ReviewDetail key={versionId} versionId={versionId} />;
}
