import { SkillyardError } from "@skillyard/core";
import type { DataSource } from "typeorm";
import type { CatalogContext } from "../catalog/catalog.context";
import { Skill } from "../catalog/skill.entity";
import { Membership } from "../identity/membership.entity";
import { requireViewer } from "../identity/viewer";
import { Rating } from "./rating.entity";

export interface RateInput {
  name: string;
  rating: number;
  /** The rating's optional text. */
  review?: string | null;
}

const MAX_TEXT_LENGTH = 10_000;

export class RatingService {
  constructor(private readonly dataSource: DataSource) {}

  /** One rating per user per skill: rating again edits it. The aggregate is recomputed from all stored ratings. */
  async rateSkill(ctx: CatalogContext, input: RateInput): Promise<{ rating: Rating; skill: Skill }> {
    const viewer = requireViewer(ctx);
    if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5) {
      throw new SkillyardError("RATING_INVALID", "A rating is a whole number from 1 to 5.", { rating: input.rating });
    }
    const text = input.review?.trim() ?? "";
    if (text.length > MAX_TEXT_LENGTH) {
      throw new SkillyardError("BAD_USER_INPUT", `A rating's text is at most ${MAX_TEXT_LENGTH} characters.`, { argument: "review" });
    }
    return this.dataSource.transaction(async (em) => {
      // Lock the skill first so concurrent ratings recompute the aggregate one after another.
      const skill = await ctx.visibility.skillOrNull(
        await em.getRepository(Skill).findOne({ where: { name: input.name }, lock: { mode: "pessimistic_write" } }),
      );
      if (!skill) throw new SkillyardError("NOT_FOUND", `There is no skill named "${input.name}".`, { name: input.name });
      if (await em.getRepository(Membership).existsBy({ userId: viewer.user.id, teamId: skill.teamId })) {
        throw new SkillyardError("FORBIDDEN", `You cannot rate "${skill.name}": your own team publishes it.`);
      }
      await em
        .createQueryBuilder()
        .insert()
        .into(Rating)
        .values({ skillId: skill.id, userId: viewer.user.id, rating: input.rating, text })
        .orUpdate(["rating", "text", "updated_at"], ["skill_id", "user_id"])
        .execute();
      await em.query(
        `UPDATE skill SET rating_average = coalesce(agg.avg, 0), rating_count = agg.count
         FROM (SELECT avg(rating)::float8 AS avg, count(*)::int AS count FROM rating WHERE skill_id = $1) agg
         WHERE skill.id = $1`,
        [skill.id],
      );
      const rating = await em.getRepository(Rating).findOneByOrFail({ skillId: skill.id, userId: viewer.user.id });
      return { rating, skill: await em.getRepository(Skill).findOneByOrFail({ id: skill.id }) };
    });
  }
}
