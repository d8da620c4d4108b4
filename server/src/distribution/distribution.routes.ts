import { Router, type NextFunction, type Request, type Response } from "express";
import type { DataSource } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { isInstallable, VersionStatus } from "../catalog/version-status";
import { ifNoneMatch } from "../common/http-conditions";
import type { RestAuthenticator, RestRoute } from "../identity/rest-access";
import type { BlobStore } from "../packages/blob-store";
import { sendBlob } from "../packages/blob-download";
import type { ManagedSettingsService } from "./managed-settings.service";
import { catalogChannel, type MarketplaceCatalogService } from "./marketplace-catalog";
import { PluginBundle } from "./plugin-bundle.entity";
import type { RuntimePolicyService } from "./runtime-policy.service";

type Handler = (req: Request, res: Response) => Promise<void>;
const route = (handler: Handler) => (req: Request, res: Response, next: NextFunction) => handler(req, res).catch(next);

export interface DistributionRoutesDeps {
  dataSource: DataSource;
  blobStore: BlobStore;
  catalogs: MarketplaceCatalogService;
  policy: RuntimePolicyService;
  settings: ManagedSettingsService;
  requireAuthForRead: boolean;
  /** The request's token, checked against the route's scopes (REST_ROUTE_SCOPES); null without one. */
  authenticate: RestAuthenticator<Request>;
}

/** A single query-string value, or null; repeated parameters are refused rather than guessed at. */
function queryValue(req: Request, name: string): string | null {
  const value = req.query[name];
  if (value === undefined) return null;
  if (typeof value !== "string") throw new SkillyardError("BAD_USER_INPUT", `Give "${name}" once.`, { argument: name });
  return value;
}

/**
 * What Claude Code fetches: `GET /marketplace.json[?channel=]` (a catalog per channel, revalidated
 * with ETag on every fetch), `GET /plugins/{sha256}.zip` (the archives the catalogs pin, served only
 * while their version is installable, and the policy plugin's), and `GET /managed-settings.json`
 * for admins and team maintainers. Catalogs and archives hold only installable versions, which
 * everyone may see; a deployment with REQUIRE_AUTH_FOR_READ asks for a READ or CATALOG_READ token.
 */
export function distributionRoutes(deps: DistributionRoutesDeps): Router {
  const router = Router();

  const assertMayRead = async (req: Request, route: RestRoute): Promise<void> => {
    const viewer = await deps.authenticate(req, route);
    if (!viewer && deps.requireAuthForRead) {
      throw new SkillyardError(
        "UNAUTHENTICATED",
        "This Skillyard requires a token for every read: declare the marketplace in settings with an Authorization header.",
      );
    }
  };
  const cacheScope = () => (deps.requireAuthForRead ? "private" : "public");

  router.get(
    "/marketplace.json",
    route(async (req, res) => {
      await assertMayRead(req, "GET /marketplace.json");
      const rendered = await deps.catalogs.render(catalogChannel(queryValue(req, "channel")));
      // Revalidate every time: a yank or a channel move must reach the next fetch, and a 304 is cheap.
      res.setHeader("Cache-Control", `${cacheScope()}, no-cache`);
      res.setHeader("ETag", rendered.etag);
      res.setHeader("Vary", "Authorization");
      if (ifNoneMatch(req.headers["if-none-match"], rendered.etag)) {
        res.status(304).end();
        return;
      }
      res.type("application/json").send(rendered.body);
    }),
  );

  router.get(
    "/plugins/:file",
    route(async (req, res) => {
      const match = /^([0-9a-f]{64})\.zip$/.exec(String(req.params.file));
      if (!match) throw new SkillyardError("PLUGIN_NOT_FOUND", "Plugins are served as /plugins/{sha256}.zip.");
      const sha256 = match[1];
      await assertMayRead(req, "GET /plugins/{sha256}.zip");
      const bundle = await deps.dataSource.getRepository(PluginBundle).findOne({ where: { sha256 }, relations: { version: true } });
      const version = bundle?.version ?? null;
      if (version?.status === VersionStatus.YANKED) {
        throw new SkillyardError("PLUGIN_YANKED", `This plugin's version was yanked: ${version.statusReason ?? "no reason given"}.`, { sha256 });
      }
      // Unknown, not installable, and never built look the same.
      const size = bundle && version && isInstallable(version.status) ? bundle.size : await deps.policy.policyArchiveSize(sha256);
      const notFound = () => new SkillyardError("PLUGIN_NOT_FOUND", `No plugin with sha256 ${sha256}.`, { sha256 });
      if (size === null) throw notFound();
      await sendBlob(req, res, deps.blobStore, { sha256, kind: "zip", size }, { cacheControl: `${cacheScope()}, no-cache`, notFound });
    }),
  );

  router.get(
    "/managed-settings.json",
    route(async (req, res) => {
      const viewer = await deps.authenticate(req, "GET /managed-settings.json");
      if (!viewer) throw new SkillyardError("UNAUTHENTICATED", "Generating managed settings needs an API token (Authorization: Bearer <token>).");
      const settings = await deps.settings.generate(viewer, { channel: catalogChannel(queryValue(req, "channel")), team: queryValue(req, "team") || null });
      // It carries the distribution tokens: never cached anywhere.
      res.setHeader("Cache-Control", "no-store");
      res.type("application/json").send(`${JSON.stringify(settings, null, 2)}\n`);
    }),
  );
  return router;
}
