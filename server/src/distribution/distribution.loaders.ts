import { type DataSource, In } from "typeorm";
import { batchLoader, byKey } from "../common/loader-utils";
import { PluginBundle } from "./plugin-bundle.entity";

/** Per-request batch loaders of the distribution domain: one query per list, however many rows ask. */
export function createDistributionLoaders(dataSource: DataSource) {
  return {
    pluginBundleByVersionId: batchLoader<string, PluginBundle | null>(async (ids) =>
      byKey(ids, await dataSource.getRepository(PluginBundle).findBy({ versionId: In([...ids]) }), (b) => b.versionId),
    ),
  };
}

export type DistributionLoaders = ReturnType<typeof createDistributionLoaders>;
