import { In, type DataSource } from "typeorm";
import { batchLoader, byKey, groupBy } from "../common/loader-utils";
import { Permission, PermissionRisk } from "../catalog/permission.entity";
import { catalogueEntryName } from "../catalog/permission-catalogue.service";
import type { ArchiveLimits } from "@skillyard/core";
import type { BlobStore } from "../packages/blob-store";
import { type PackageTexts, readPackageTexts } from "./file-patch";
import { Session } from "../sso/session.entity";
import { ReviewDecision, ReviewRequest } from "./review.entities";

/** Where package contents come from (file patches in review requests). */
export interface PackageSource {
  blobStore: BlobStore;
  limits: ArchiveLimits;
}

/** Per-request loaders for the governance subgraph. */
export function createGovernanceLoaders(dataSource: DataSource, packages: PackageSource) {
  const em = dataSource.manager;
  const catalogue = batchLoader<"all", Map<string, PermissionRisk>>(async (keys) => {
    const risks = new Map((await em.find(Permission)).map((p) => [p.name, p.risk]));
    return keys.map(() => risks);
  });
  return {
    reviewRequestByVersionId: batchLoader<string, ReviewRequest | null>(async (ids) =>
      byKey(ids, await em.findBy(ReviewRequest, { versionId: In([...ids]) }), (r) => r.versionId),
    ),
    /** The console sessions decisions were made in (when the reviewer signed in: its creation). */
    sessionById: batchLoader<string, Session | null>(async (ids) => byKey(ids, await em.findBy(Session, { id: In([...ids]) }), (s) => s.id)),
    /** Decisions on each version, oldest first. */
    decisionsByVersionId: batchLoader<string, ReviewDecision[]>(async (ids) =>
      groupBy(ids, await em.find(ReviewDecision, { where: { versionId: In([...ids]) }, order: { createdAt: "ASC" } }), (d) => d.versionId),
    ),
    /**
     * The text of each package's files by package sha256: every archive is read once per request,
     * however many of its files' patches are asked for. One package after the other, so a queue of
     * reviews never unpacks many packages at once; a package that cannot be read fails only its own key.
     */
    packageTextsBySha256: batchLoader<string, PackageTexts>(async (digests) => {
      const results: (PackageTexts | Error)[] = [];
      for (const sha256 of digests) {
        results.push(
          await readPackageTexts(packages.blobStore, packages.limits, sha256).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
        );
      }
      return results;
    }),
    /** The risk of any permission (scoped forms by their catalogue entry; unknown ones count as CRITICAL), read once per request. */
    async riskOf(): Promise<(name: string) => PermissionRisk> {
      const risks = await catalogue.load("all");
      const names = new Set(risks.keys());
      return (name) => risks.get(catalogueEntryName(name, names) ?? "") ?? PermissionRisk.CRITICAL;
    },
  };
}

export type GovernanceLoaders = ReturnType<typeof createGovernanceLoaders>;
