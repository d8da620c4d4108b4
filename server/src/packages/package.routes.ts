import { Router, type NextFunction, type Request, type Response } from "express";
import type { DataSource } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import type { RestAuthenticator } from "../identity/rest-access";
import type { Viewer } from "../identity/viewer";
import type { BlobStore } from "./blob-store";
import { sendBlob } from "./blob-download";
import { PackageBlob } from "./package-blob.entity";

type Handler = (req: Request, res: Response) => Promise<void>;

/** Express 5 forwards rejected promises, but keep the intent explicit for readers. */
const route = (handler: Handler) => (req: Request, res: Response, next: NextFunction) => handler(req, res).catch(next);

export interface PackageRoutesDeps {
  dataSource: DataSource;
  blobStore: BlobStore;
  maxPackageBytes: number;
  /** Downloads need a token too (REQUIRE_AUTH_FOR_READ). */
  requireAuthForRead: boolean;
  /** The request's token, checked against the route's scopes (REST_ROUTE_SCOPES); null without one. */
  authenticate: RestAuthenticator<Request>;
  /**
   * The visibility policy's answer for a package blob: null unless `viewer` may see a version with
   * this digest; else the size published with it and whether everyone may see it.
   */
  visibleBlob(viewer: Viewer | null, sha256: string): Promise<{ size: number; public: boolean } | null>;
}

/**
 * `POST /packages` stores a gzip tarball content-addressed and answers `{"sha256","size"}` (same
 * bytes, same answer). `GET /packages/{sha256}.tgz` (and HEAD) serves it, with ETag and Range
 * (`sendBlob`), to whoever may see a version with that digest: public versions' packages to anyone
 * (and cacheable by anyone); others to their team, reviewers and admins; uploads never published to
 * nobody.
 */
export function packageRoutes(deps: PackageRoutesDeps): Router {
  const router = Router();
  const { blobStore, dataSource, maxPackageBytes } = deps;

  router.post(
    "/",
    route(async (req, res) => {
      const viewer = await deps.authenticate(req, "POST /packages");
      if (!viewer) throw new SkillyardError("UNAUTHENTICATED", "Uploading needs an API token (Authorization: Bearer <token>).");
      const declared = Number(req.headers["content-length"] ?? NaN);
      if (Number.isFinite(declared) && declared > maxPackageBytes) {
        // Refuse before reading; the client learns at once instead of after uploading the whole body.
        res.setHeader("Connection", "close");
        throw new SkillyardError("PACKAGE_TOO_LARGE", `The package is over the ${maxPackageBytes}-byte limit (MAX_PACKAGE_BYTES).`, {
          maxBytes: maxPackageBytes,
        });
      }
      let stored;
      try {
        stored = await blobStore.putStream(req, maxPackageBytes);
      } catch (error) {
        // Stop receiving the rest of a refused body.
        res.setHeader("Connection", "close");
        throw error;
      }
      await dataSource
        .createQueryBuilder()
        .insert()
        .into(PackageBlob)
        .values({ sha256: stored.sha256, size: stored.size, uploadedById: viewer.user.id })
        .orIgnore()
        .execute();
      res.status(201).json(stored);
    }),
  );

  router.get(
    "/:file",
    route(async (req, res) => {
      const match = /^([0-9a-f]{64})\.tgz$/.exec(String(req.params.file));
      if (!match) throw new SkillyardError("NOT_FOUND", "Packages are served as /packages/{sha256}.tgz.");
      const sha256 = match[1];
      const viewer = await deps.authenticate(req, "GET /packages/{sha256}.tgz");
      if (!viewer && deps.requireAuthForRead)
        throw new SkillyardError("UNAUTHENTICATED", "This Skillyard requires a token for every read (Authorization: Bearer <token>).");
      const notFound = () => new SkillyardError("PACKAGE_NOT_FOUND", `No package with sha256 ${sha256}.`, { sha256 });
      // Not visible and not there look the same: the digest of an unreleased package is not confirmed to outsiders.
      // A visible version implies the upload's PackageBlob row: publishing needs it, and rows are never deleted.
      const blob = await deps.visibleBlob(viewer, sha256);
      if (!blob) throw notFound();
      const cacheControl = blob.public && !deps.requireAuthForRead ? "public, max-age=31536000, immutable" : "private, no-store";
      await sendBlob(req, res, blobStore, { sha256, kind: "tgz", size: blob.size }, { cacheControl, notFound });
    }),
  );
  return router;
}
