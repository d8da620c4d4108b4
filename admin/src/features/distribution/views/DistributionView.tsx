import { useQuery } from "@apollo/client/react";
import { Tabs } from "@mantine/core";
import { useNavigate, useSearchParams } from "react-router";
import { PageHeader } from "../../../components/PageHeader";
import { QueryState } from "../../../components/QueryState";
import { DistributionMarketplacesDocument } from "../../../gql/graphql";
import { MarketplacesPanel } from "../components/MarketplacesPanel";
import { RequiredSkillsPanel } from "../components/RequiredSkillsPanel";
import { distributionPath, isDistributionTab, readDistributionLocation, DISTRIBUTION_TABS, type DistributionTab } from "../distribution-url";

const TAB_LABEL: Record<DistributionTab, string> = {
  marketplaces: "Marketplaces",
  required: "Required skills",
};

/** How approved skills reach Claude Code: the catalogs, and what each team's machines get. */
export function DistributionView() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const location = readDistributionLocation(params);
  const { data, error, refetch } = useQuery(DistributionMarketplacesDocument);
  const marketplaces = { data, error, refetch: () => void refetch() };

  return (
    <>
      <PageHeader title="Distribution" subtitle="How approved skills reach Claude Code: the marketplaces, and what each team’s machines get." />
      <Tabs value={location.tab} onChange={(value) => isDistributionTab(value) && navigate(distributionPath({ ...location, tab: value }), { replace: true })}>
        <Tabs.List>
          {DISTRIBUTION_TABS.map((tab) => (
            <Tabs.Tab key={tab} value={tab} data-testid={`tab-${tab}`}>
              {TAB_LABEL[tab]}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="marketplaces" pt="md">
          <QueryState {...marketplaces}>{({ marketplaces: list }) => <MarketplacesPanel marketplaces={list} />}</QueryState>
        </Tabs.Panel>
        <Tabs.Panel value="required" pt="md">
          <RequiredSkillsPanel team={location.team} onTeamChange={(team) => navigate(distributionPath({ ...location, team }))} />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
