import { PermissionCatalogueService } from "./catalog/permission-catalogue.service";
import { PublishService } from "./catalog/publish.service";
import { SkillSearchService } from "./catalog/skill-search.service";
import { InstallService } from "./community/install.service";
import { ReviewService } from "./community/review.service";
import { ApiTokenService } from "./identity/api-token.service";
import type { DataSource } from "typeorm";
import type { TestQueue } from "./testing/test-queue";
import { TestRunService } from "./testing/test-run.service";
import { AuditService } from "./governance/audit.service";

/** Stateless domain services, created once per process; their methods take the request context first. */
export function createServices(dataSource: DataSource, testQueue: TestQueue) {
  const search = new SkillSearchService();
  const testRuns = new TestRunService(testQueue);
  return {
    audit: new AuditService(),
    apiTokens: new ApiTokenService(dataSource),
    permissionCatalogue: new PermissionCatalogueService(),
    search,
    publish: new PublishService(search, testRuns),
    testRuns,
    installs: new InstallService(),
    reviews: new ReviewService(),
  };
}

export type Services = ReturnType<typeof createServices>;
