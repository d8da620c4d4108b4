import { In, type EntityManager } from "typeorm";
import { batchLoader, groupBy } from "../common/loader-utils";
import { SkillChannel } from "./skill-channel.entity";

/** Per-request loaders for channels: one query for the stored channels of every skill in a list. */
export function createChannelLoaders(em: EntityManager) {
  return {
    /** Stored channels of each skill (not the virtual `latest`), in no particular order. */
    channelsBySkillId: batchLoader<string, SkillChannel[]>(async (skillIds) =>
      groupBy(skillIds, await em.findBy(SkillChannel, { skillId: In([...skillIds]) }), (c) => c.skillId),
    ),
  };
}
