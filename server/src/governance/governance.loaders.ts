import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { byKey, groupBy } from "../common/loader-utils";
import { Permission, PermissionRisk } from "../catalog/permission.entity";
import { catalogueEntryName } from "../catalog/permission-catalogue.service";
import { ReviewDecision, ReviewRequest } from "./review.entities";

/** Per-request loaders for the governance subgraph. */
export function createGovernanceLoaders(dataSource: DataSource) {
  const em = dataSource.manager;
  const catalogue = new DataLoader<"all", Map<string, PermissionRisk>>(async (keys) => {
    const risks = new Map((await em.find(Permission)).map((p) => [p.name, p.risk]));
    return keys.map(() => risks);
  });
  return {
    reviewRequestByVersionId: new DataLoader<string, ReviewRequest | null>(async (ids) =>
      byKey(ids, await em.findBy(ReviewRequest, { versionId: In([...ids]) }), (r) => r.versionId),
    ),
    /** Decisions on each version, oldest first. */
    decisionsByVersionId: new DataLoader<string, ReviewDecision[]>(async (ids) =>
      groupBy(ids, await em.find(ReviewDecision, { where: { versionId: In([...ids]) }, order: { createdAt: "ASC" } }), (d) => d.versionId),
    ),
    /** The risk of any permission (scoped forms by their catalogue entry; unknown ones count as CRITICAL), read once per request. */
    async riskOf(): Promise<(name: string) => PermissionRisk> {
      const risks = await catalogue.load("all");
      const names = new Set(risks.keys());
      return (name) => risks.get(catalogueEntryName(name, names) ?? "") ?? PermissionRisk.CRITICAL;
    },
  };
}

export type GovernanceLoaders = ReturnType<typeof createGovernanceLoaders>;
