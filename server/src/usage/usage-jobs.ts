import type { Logger } from "../common/logger";
import type { QualityReviewService } from "./quality-reviews.service";
import type { UsageEventStore } from "./usage-event-store";
import type { UsageTierService } from "./usage-tiers.service";
import { addDays } from "./usage-weeks";

export interface UsageJobsReport {
  droppedDays: string[];
  tierChanges: number;
  reviewsAnnounced: number;
}

/**
 * The usage domain's periodic work, on worker processes, at start-up and then every
 * USAGE_JOBS_INTERVAL_SECONDS: drop raw partitions past the retention, recompute tiers, announce
 * newly due quality reviews. Each step is safe with several workers (advisory locks, one notice per
 * due date), so no leader is elected.
 */
export class UsageJobs {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      store: UsageEventStore;
      tiers: UsageTierService;
      reviews: QualityReviewService;
      logger: Logger;
      retentionDays: number;
      intervalSeconds: number;
      now?: () => Date;
    },
  ) {}

  async runOnce(): Promise<UsageJobsReport> {
    const now = (this.deps.now ?? (() => new Date()))();
    const today = now.toISOString().slice(0, 10);
    const droppedDays = await this.deps.store.dropBefore(addDays(today, -(this.deps.retentionDays - 1)));
    const tierChanges = (await this.deps.tiers.recompute(now)).length;
    const reviewsAnnounced = await this.deps.reviews.announceDue(now);
    const report = { droppedDays, tierChanges, reviewsAnnounced };
    if (droppedDays.length || tierChanges || reviewsAnnounced) this.deps.logger.info("usage jobs", { ...report });
    return report;
  }

  start(): void {
    const tick = () => {
      this.running = this.runOnce().catch((error: unknown) => this.deps.logger.error("usage jobs failed", { message: String(error) }));
    };
    tick();
    this.timer = setInterval(tick, this.deps.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
