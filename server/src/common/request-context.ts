import type { DataSource } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import type { Config } from "../config";
import type { Logger } from "./logger";
import type { Viewer } from "../identity/api-token.service";
import type { FileBlobStore } from "../packages/blob-store";
import type { CatalogLoaders } from "../catalog/catalog.loaders";
import type { CommunityLoaders } from "../community/community.loaders";
import type { Services } from "../services";
import type { TestingLoaders } from "../testing/testing.loaders";
import type { GovernanceLoaders } from "../governance/governance.loaders";
import type { TestRunEventHub } from "../testing/test-run-events";
import type { PgNotificationListener } from "./pg-notifications";

/** Long-lived pieces shared by every request. */
export interface AppRuntime {
  config: Config;
  dataSource: DataSource;
  /** The database every process of this installation shares (for LISTEN connections and job queues). */
  databaseUrl: string;
  logger: Logger;
  blobStore: FileBlobStore;
  services: Services;
  /** Live test-run events for this process's subscribers. */
  eventHub: TestRunEventHub;
  /** This process's one LISTEN connection (NOTIFY fan-out: test output, token revocation). */
  notifications: PgNotificationListener;
  /** Checks the Docker engine; null when this process runs no sandbox worker (readiness skips it). */
  sandboxPing: (() => Promise<boolean>) | null;
}

/** Built once per HTTP request; loaders live exactly as long as it does (no cross-request caching). */
export interface RequestContext {
  requestId: string;
  viewer: Viewer | null;
  runtime: AppRuntime;
  loaders: { catalog: CatalogLoaders; community: CommunityLoaders; testing: TestingLoaders; governance: GovernanceLoaders };
}

export function requireViewer(ctx: RequestContext): Viewer {
  if (!ctx.viewer) throw new SkillyardError("UNAUTHENTICATED", "Sign in with an API token (Authorization: Bearer <token>).");
  return ctx.viewer;
}
