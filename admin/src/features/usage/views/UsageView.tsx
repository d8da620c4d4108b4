import { useQuery } from "@apollo/client/react";
import { Alert, Anchor, Badge, Button, Grid, Group, Paper, Stack, Tabs, Text, Title } from "@mantine/core";
import { IconCheck, IconLock, IconRefresh, IconShieldExclamation } from "@tabler/icons-react";
import { useState, type ReactNode } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useSession } from "../../../auth/session";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { UsageOverviewDocument, UsageReviewsDueDocument, type UsageReviewDueFragment, type UsageReviewsDueQuery } from "../../../gql/graphql";
import { PlatformUpdates } from "../components/PlatformUpdates";
import { ReclaimableInstalls } from "../components/ReclaimableInstalls";
import { RecordReviewModal, recordedNotice } from "../components/RecordReviewModal";
import { ReviewsDueList } from "../components/ReviewsDueList";
import { TopSkillsList } from "../components/TopSkillsList";
import { UnmanagedSkills } from "../components/UnmanagedSkills";
import { WindowPicker } from "../components/WindowPicker";
import { plural, weekLabel } from "../usage-format";
import { isUsageTab, readUsageLocation, usagePath, type UsageWindow } from "../usage-url";

/** Organisation-wide usage for reviewers and admins: the overview, and the quality reviews that are due. */
export function UsageView() {
  const session = useSession();
  if (!session.isReviewer) {
    return (
      <>
        <PageHeader title="Usage" />
        <Alert color="gray" icon={<IconLock size={18} />} title="Reviewers and admins only" data-testid="forbidden-state">
          Usage across the organisation, unmanaged skills and quality reviews are for reviewers and admins. Each skill’s own usage is on its page, under Usage.
        </Alert>
      </>
    );
  }
  return <Usage />;
}

function Usage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const location = readUsageLocation(params);
  const due = useQuery(UsageReviewsDueDocument);
  const dueCount = due.data?.qualityReviewsDue.length ?? null;

  return (
    <>
      <PageHeader
        title="Usage"
        subtitle="What Claude Code reports about skills across the organisation: the most used, those Skillyard does not govern, installs nobody uses, and the quality reviews that are due."
      />
      <Tabs value={location.tab} onChange={(value) => isUsageTab(value) && navigate(usagePath({ ...location, tab: value }), { replace: true })}>
        <Tabs.List>
          <Tabs.Tab value="overview" data-testid="tab-overview">
            Overview
          </Tabs.Tab>
          <Tabs.Tab
            value="reviews"
            data-testid="tab-reviews"
            rightSection={
              dueCount ? (
                <Badge size="xs" color="red" variant="filled" circle={dueCount < 10} data-testid="reviews-due-count">
                  {dueCount}
                </Badge>
              ) : null
            }
          >
            Quality reviews
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          {location.tab === "overview" && (
            <Overview weeks={location.weeks} onWeeksChange={(weeks) => navigate(usagePath({ ...location, weeks }), { replace: true })} />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="reviews" pt="md">
          {location.tab === "reviews" && <QualityReviews due={due} />}
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

function Section({ title, subtitle, children, testId, id }: { title: string; subtitle: ReactNode; children: ReactNode; testId: string; id?: string }) {
  return (
    <Paper withBorder p="md" data-testid={testId} id={id} h="100%">
      <Stack gap="sm">
        <Stack gap={2}>
          <Title order={3} size="h5">
            {title}
          </Title>
          <Text size="sm" c="dimmed">
            {subtitle}
          </Text>
        </Stack>
        {children}
      </Stack>
    </Paper>
  );
}

function Overview({ weeks, onWeeksChange }: { weeks: UsageWindow; onWeeksChange: (weeks: UsageWindow) => void }) {
  const { data, error, refetch, loading } = useQuery(UsageOverviewDocument, { variables: { weeks } });
  const overview = data?.usageOverview;
  return (
    <Stack gap="md" data-testid="usage-overview" data-weeks={overview?.weeks ?? ""}>
      <Group justify="space-between" gap="sm" wrap="wrap">
        <Text size="sm" c="dimmed">
          {overview ? `The last ${overview.weeks} weeks, since ${weekLabel(overview.from)} (this week so far included).` : `The last ${weeks} weeks.`}
        </Text>
        <Group gap="xs">
          <WindowPicker value={weeks} onChange={onWeeksChange} testId="overview-window" />
          <Button
            variant="default"
            size="xs"
            leftSection={<IconRefresh size={14} />}
            onClick={() => void refetch()}
            loading={loading && overview !== undefined}
            data-testid="overview-refresh"
          >
            Refresh
          </Button>
        </Group>
      </Group>
      <QueryState data={overview} error={error} refetch={() => void refetch()}>
        {(loaded) => (
          <Stack gap="md">
            {loaded.unmanagedSkills.length > 0 && (
              <Alert color="orange" icon={<IconShieldExclamation size={18} />} data-testid="unmanaged-signal">
                {plural(loaded.unmanagedSkills.length, "skill")} that Skillyard does not govern {loaded.unmanagedSkills.length === 1 ? "was" : "were"} used in
                this window.{" "}
                <Anchor href="#unmanaged" size="sm">
                  See which
                </Anchor>
                .
              </Alert>
            )}
            <Grid gap="md">
              <Grid.Col span={{ base: 12, lg: 7 }}>
                <Section
                  title="Most used skills"
                  subtitle="Skillyard skills by invocations in the window, with the people who ran them."
                  testId="top-skills-section"
                >
                  {loaded.topSkills.length === 0 ? (
                    <EmptyState title="No invocations reported">Claude Code has reported no Skillyard skill in this window.</EmptyState>
                  ) : (
                    <TopSkillsList skills={loaded.topSkills} weeks={weeks} />
                  )}
                </Section>
              </Grid.Col>
              <Grid.Col span={{ base: 12, lg: 5 }}>
                <Section
                  title="Installs nobody uses"
                  subtitle="Skills a team installed by name and never invoked: seats to reclaim, or skills the team needs help with."
                  testId="reclaimable-section"
                >
                  <ReclaimableInstalls installs={loaded.reclaimableInstalls} />
                </Section>
              </Grid.Col>
            </Grid>
            <Section
              title="Skills in use that Skillyard does not govern"
              subtitle="Plugins from other marketplaces, and users’ or projects’ own skills, that Claude Code ran in the window."
              testId="unmanaged-section"
              id="unmanaged"
            >
              <UnmanagedSkills skills={loaded.unmanagedSkills} weeks={loaded.weeks} />
            </Section>
          </Stack>
        )}
      </QueryState>
    </Stack>
  );
}

function QualityReviews({ due }: { due: { data: UsageReviewsDueQuery | undefined; error?: unknown; refetch: () => unknown } }) {
  const [recording, setRecording] = useState<UsageReviewDueFragment | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <Stack gap="md" data-testid="quality-reviews">
      <Text size="sm" c="dimmed" maw={900}>
        Each skill’s quality is reviewed on a cadence set by its usage tier: high-usage skills every month, medium every quarter, low after significant platform
        updates. Most-used first.
      </Text>
      {notice && (
        <Alert color="green" icon={<IconCheck size={18} />} withCloseButton onClose={() => setNotice(null)} data-testid="reviews-notice">
          {notice}
        </Alert>
      )}
      <PlatformUpdates onMarked={(description) => setNotice(`Marked the platform update “${description}”: low-usage skills not reviewed since are due.`)} />
      <QueryState data={due.data} error={due.error} refetch={() => void due.refetch()}>
        {({ qualityReviewsDue }) => (
          <Stack gap="xs">
            <Title order={3} size="h5" data-testid="reviews-due-title">
              Due for review{qualityReviewsDue.length > 0 && ` (${qualityReviewsDue.length})`}
            </Title>
            {qualityReviewsDue.length === 0 ? (
              <EmptyState title="No quality review is due">
                Reviews fall due as each tier’s cadence passes, and for low-usage skills when an admin marks a platform update.
              </EmptyState>
            ) : (
              <ReviewsDueList due={qualityReviewsDue} onRecord={setRecording} />
            )}
          </Stack>
        )}
      </QueryState>
      {recording && (
        <RecordReviewModal
          skillName={recording.skill.name}
          initialVersion={recording.skill.latestVersion?.version ?? null}
          onClose={() => setRecording(null)}
          onRecorded={(review) => {
            setRecording(null);
            setNotice(recordedNotice(review));
          }}
        />
      )}
    </Stack>
  );
}
