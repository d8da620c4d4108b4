import { useQuery } from "@apollo/client/react";
import { Alert, Anchor, Badge, Card, Group, SimpleGrid, Stack, Tabs, Text } from "@mantine/core";
import { IconCheck, IconLock } from "@tabler/icons-react";
import { lazy, Suspense, useMemo, useState, type ReactNode } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { canMaintain } from "../../../auth/permissions";
import { useSession } from "../../../auth/session";
import { PageHeader } from "../../../components/PageHeader";
import { appendEdges, LoadMoreButton } from "../../../components/LoadMore";
import { EmptyState, LoadingState, QueryState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { CatalogSkillDocument } from "../../../gql/graphql";
import { DeprecateVersionModal, MoveChannelModal, YankVersionModal, type MaintainerAction } from "../components/MaintainerModals";
import { ChannelsTable, DependenciesSection, InstallsTable, RatingsSection } from "../components/SkillSections";
import { SkillDownloads, SkillRating } from "../components/SkillStats";
import type { Marketplaces, SkillDetail } from "../components/skillTypes";
import { VersionsTable } from "../components/VersionsTable";
import { InstallInClaudeCode } from "../../distribution/components/InstallInClaudeCode";
import { EvalDriftAlert } from "../../evals/components/EvalDrift";
import { UsageTierBadge } from "../../usage/components/UsageTierBadge";
import { readSkillUsageWeeks, skillUsagePath } from "../../usage/usage-url";

// The usage and evals tabs' charts (recharts) load when the tab is first shown, not with every skill page.
const SkillUsagePanel = lazy(() => import("../../usage/components/SkillUsagePanel").then((m) => ({ default: m.SkillUsagePanel })));
const EvalScoresPanel = lazy(() => import("../../evals/components/EvalScoresPanel").then((m) => ({ default: m.EvalScoresPanel })));

const TABS = ["versions", "channels", "claude-code", "usage", "evals", "ratings", "installs", "dependencies"] as const;
type Tab = (typeof TABS)[number];
const isTab = (value: string | null): value is Tab => TABS.some((tab) => tab === value);

export function SkillView() {
  const { name = "" } = useParams();
  const { data, error, refetch, fetchMore } = useQuery(CatalogSkillDocument, { variables: { name } });
  const loadMoreVersions = (after: string) =>
    fetchMore({
      variables: { versionsAfter: after },
      updateQuery: (previous, { fetchMoreResult }) =>
        previous.skill && fetchMoreResult.skill
          ? { ...previous, skill: { ...previous.skill, versions: appendEdges(previous.skill.versions, fetchMoreResult.skill.versions) } }
          : previous,
    });
  return (
    <QueryState data={data} error={error} refetch={() => void refetch()}>
      {(loaded) =>
        loaded.skill ? (
          <SkillPage skill={loaded.skill} marketplaces={loaded.marketplaces} refetch={refetch} loadMoreVersions={loadMoreVersions} />
        ) : (
          <EmptyState title={`No skill named “${name}”`}>
            It does not exist, or none of its versions is visible to you.{" "}
            <Anchor component={Link} to="/skills">
              Search the catalog
            </Anchor>
            .
          </EmptyState>
        )
      }
    </QueryState>
  );
}

function SkillPage({
  skill,
  marketplaces,
  refetch,
  loadMoreVersions,
}: {
  skill: SkillDetail;
  marketplaces: Marketplaces;
  refetch: () => Promise<unknown>;
  loadMoreVersions: (after: string) => Promise<unknown>;
}) {
  const session = useSession();
  const maintainer = canMaintain(session, skill.owner.name);
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const tabParam = params.get("tab");
  const tab: Tab = isTab(tabParam) ? tabParam : "versions";
  const [action, setAction] = useState<MaintainerAction | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const versions = skill.versions.edges.map((edge) => edge.node);
  const channels = skill.channels.edges.map((edge) => edge.node);
  const channelsByVersion = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const channel of channels) {
      if (channel.version) map.set(channel.version.id, [...(map.get(channel.version.id) ?? []), channel.name]);
    }
    return map;
  }, [channels]);

  const onDone = async (message: string) => {
    await refetch();
    setAction(null);
    setNotice(message);
  };

  const totalInstalls = skill.installsByTenant.reduce((sum, entry) => sum + entry.installs, 0);

  return (
    <Stack gap="md">
      <PageHeader
        title={skill.name}
        subtitle={skill.description}
        actions={
          <>
            <Anchor component={Link} to={skillUsagePath(skill.name)} underline="never" aria-label={`Usage of ${skill.name}`}>
              <UsageTierBadge tier={skill.usageTier} size="lg" />
            </Anchor>
            {skill.latestVersion ? (
              <Badge size="lg" variant="light" tt="none" data-testid="skill-latest-version">
                latest {skill.latestVersion.version}
              </Badge>
            ) : (
              <Badge size="lg" variant="light" color="gray" tt="none">
                no installable version
              </Badge>
            )}
          </>
        }
      />

      <Card withBorder padding="sm">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="md" verticalSpacing="sm">
          <Fact label="Owner team">
            <Group gap={6}>
              <Text size="sm" fw={600} data-testid="skill-owner">
                {skill.owner.name}
              </Text>
              {maintainer && (
                <Badge size="xs" variant="light" color="teal">
                  you maintain it
                </Badge>
              )}
            </Group>
          </Fact>
          <Fact label="Category & tags">
            <Group gap={4}>
              <Anchor component={Link} to={`/skills?category=${encodeURIComponent(skill.category)}`} underline="never">
                <Badge variant="light" tt="none">
                  {skill.category}
                </Badge>
              </Anchor>
              {skill.tags.map((tag) => (
                <Anchor key={tag} component={Link} to={`/skills?tag=${encodeURIComponent(tag)}`} underline="never">
                  <Badge variant="dot" color="gray" tt="none">
                    {tag}
                  </Badge>
                </Anchor>
              ))}
            </Group>
          </Fact>
          <Fact label="Rating">
            <SkillRating rating={skill.rating} reviewCount={skill.reviewCount} />
          </Fact>
          <Fact label="Installs">
            <SkillDownloads downloads={skill.downloads} />
            <Text size="xs" c="dimmed">
              updated <RelativeTime iso={skill.updatedAt} />
            </Text>
          </Fact>
        </SimpleGrid>
      </Card>

      {skill.evalDrift && <EvalDriftAlert skillName={skill.name} drift={skill.evalDrift} />}

      {notice && (
        <Alert color="green" icon={<IconCheck size={18} />} withCloseButton onClose={() => setNotice(null)} data-testid="maintainer-notice">
          {notice}
        </Alert>
      )}
      {!maintainer && (
        <Text size="xs" c="dimmed" data-testid="maintainer-actions-hidden">
          <IconLock size={12} style={{ verticalAlign: "-1px" }} /> Moving channels, yanking and deprecating are for maintainers of {skill.owner.name} and
          admins.
        </Text>
      )}

      <Tabs value={tab} onChange={(value) => isTab(value) && setParams(value === "versions" ? {} : { tab: value }, { replace: true })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="versions" data-testid="tab-versions">
            Versions <Count n={skill.versions.totalCount ?? versions.length} />
          </Tabs.Tab>
          <Tabs.Tab value="channels" data-testid="tab-channels">
            Channels <Count n={channels.length} />
          </Tabs.Tab>
          <Tabs.Tab value="claude-code" data-testid="tab-claude-code">
            Claude Code
          </Tabs.Tab>
          <Tabs.Tab value="usage" data-testid="tab-usage">
            Usage
          </Tabs.Tab>
          <Tabs.Tab value="evals" data-testid="tab-evals">
            Evals
          </Tabs.Tab>
          <Tabs.Tab value="ratings" data-testid="tab-ratings">
            Ratings <Count n={skill.reviewCount} />
          </Tabs.Tab>
          <Tabs.Tab value="installs" data-testid="tab-installs">
            Installs <Count n={skill.installsByTenant.length} />
          </Tabs.Tab>
          <Tabs.Tab value="dependencies" data-testid="tab-dependencies">
            Dependencies
          </Tabs.Tab>
        </Tabs.List>

        <Tabs.Panel value="versions" pt="md">
          {versions.length === 0 ? (
            <EmptyState title="No versions you can see" />
          ) : (
            <Stack gap="sm">
              <VersionsTable
                skillName={skill.name}
                versions={versions}
                latestVersionId={skill.latestVersion?.id ?? null}
                channelsByVersion={channelsByVersion}
                onAction={maintainer ? setAction : undefined}
              />
              {skill.versions.pageInfo.hasNextPage && skill.versions.pageInfo.endCursor && (
                <LoadMoreButton label="Load more" onLoadMore={() => loadMoreVersions(skill.versions.pageInfo.endCursor ?? "")} />
              )}
            </Stack>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="channels" pt="md">
          <ChannelsTable
            channels={channels}
            onMove={maintainer ? (channel) => setAction({ kind: "channel", channel: channel.name, version: null }) : undefined}
            onCreate={maintainer ? () => setAction({ kind: "channel", channel: null, version: null }) : undefined}
          />
        </Tabs.Panel>
        <Tabs.Panel value="claude-code" pt="md">
          <InstallInClaudeCode skillName={skill.name} channels={channels} marketplaces={marketplaces} />
        </Tabs.Panel>
        <Tabs.Panel value="usage" pt="md">
          <Suspense fallback={<LoadingState />}>
            <SkillUsagePanel
              skillName={skill.name}
              weeks={readSkillUsageWeeks(params)}
              onWeeksChange={(weeks) => void navigate(skillUsagePath(skill.name, weeks), { replace: true })}
            />
          </Suspense>
        </Tabs.Panel>
        <Tabs.Panel value="evals" pt="md">
          <Suspense fallback={<LoadingState />}>
            <EvalScoresPanel versions={versions} />
          </Suspense>
        </Tabs.Panel>
        <Tabs.Panel value="ratings" pt="md">
          <RatingsSection skillName={skill.name} />
        </Tabs.Panel>
        <Tabs.Panel value="installs" pt="md">
          <Stack gap="xs">
            {skill.installsByTenant.length > 0 && (
              <Text size="sm" c="dimmed">
                {totalInstalls.toLocaleString()} {totalInstalls === 1 ? "install" : "installs"} by {skill.installsByTenant.length}{" "}
                {skill.installsByTenant.length === 1 ? "team" : "teams"}, most installs first.
              </Text>
            )}
            <InstallsTable installs={skill.installsByTenant} />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="dependencies" pt="md">
          <DependenciesSection
            skillName={skill.name}
            version={skill.latestVersion?.version ?? null}
            dependencies={skill.latestVersion?.dependencies.edges.map((edge) => edge.node) ?? []}
          />
        </Tabs.Panel>
      </Tabs>

      {action?.kind === "yank" && (
        <YankVersionModal skillName={skill.name} version={action.version} channels={channels} onClose={() => setAction(null)} onDone={onDone} />
      )}
      {action?.kind === "deprecate" && (
        <DeprecateVersionModal skillName={skill.name} version={action.version} onClose={() => setAction(null)} onDone={onDone} />
      )}
      {action?.kind === "channel" && (
        <MoveChannelModal
          skillName={skill.name}
          channel={action.channel}
          version={action.version}
          versions={versions}
          channels={channels}
          onClose={() => setAction(null)}
          onDone={onDone}
        />
      )}
    </Stack>
  );
}

function Count({ n }: { n: number }) {
  return (
    <Text span size="xs" c="dimmed" ml={4}>
      {n}
    </Text>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={4}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      {children}
    </Stack>
  );
}
