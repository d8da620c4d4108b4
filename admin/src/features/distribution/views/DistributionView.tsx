import { useQuery } from "@apollo/client/react";
import { Tabs } from "@mantine/core";
import { useNavigate, useSearchParams } from "react-router";
import { PageHeader } from "../../../components/PageHeader";
import { QueryState } from "../../../components/QueryState";
import { DistributionMarketplacesDocument } from "../../../gql/graphql";
import { ManagedSettingsPanel } from "../components/ManagedSettingsPanel";
import { MarketplacesPanel } from "../components/MarketplacesPanel";
import { RequiredSkillsPanel } from "../components/RequiredSkillsPanel";
import { RuntimePolicyPanel } from "../components/RuntimePolicyPanel";
import { distributionPath, isDistributionTab, readDistributionLocation, DISTRIBUTION_TABS, type DistributionTab } from "../distribution-url";

const TAB_LABEL: Record<DistributionTab, string> = {
  marketplaces: "Marketplaces",
  required: "Required skills",
  policy: "Runtime policy",
  settings: "Managed settings",
};

/** How approved skills reach Claude Code: catalogs, what each team's machines get, the runtime policy and the settings file. */
export function DistributionView() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const location = readDistributionLocation(params);
  const { data, error, refetch } = useQuery(DistributionMarketplacesDocument);
  const marketplaces = { data, error, refetch: () => void refetch() };

  return (
    <>
      <PageHeader
        title="Distribution"
        subtitle="How approved skills reach Claude Code: marketplaces, what each team’s machines get, the runtime policy and managed settings."
      />
      {/* Every panel stays mounted, so unsaved policy rules survive a look at another tab. */}
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
        <Tabs.Panel value="policy" pt="md">
          <RuntimePolicyPanel />
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <QueryState {...marketplaces}>{({ marketplaces: list }) => <ManagedSettingsPanel marketplaces={list} />}</QueryState>
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
