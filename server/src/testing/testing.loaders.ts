import { In, type DataSource } from "typeorm";
import { batchLoader, byKey, groupBy } from "../common/loader-utils";
import { TestRun } from "./test-run.entity";

/** Per-request loaders for the testing subgraph. */
export function createTestingLoaders(dataSource: DataSource) {
  const em = dataSource.manager;
  return {
    testRunById: batchLoader<string, TestRun | null>(async (ids) => byKey(ids, await em.findBy(TestRun, { id: In([...ids]) }), (r) => r.id)),
    /** Runs of each version, newest first. */
    testRunsByVersionId: batchLoader<string, TestRun[]>(async (versionIds) =>
      groupBy(versionIds, await em.find(TestRun, { where: { versionId: In([...versionIds]) }, order: { createdAt: "DESC", id: "DESC" } }), (r) => r.versionId),
    ),
  };
}

export type TestingLoaders = ReturnType<typeof createTestingLoaders>;
