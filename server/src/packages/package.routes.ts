import { Router, type NextFunction, type Request, type Response } from "express";
import { SkillyardError } from "@skillyard/core";
import type { AppRuntime } from "../common/request-context";
import { PackageBlob } from "./package-blob.entity";

type Handler = (req: Request, res: Response) => Promise<void>;

/** Express 5 forwards rejected promises, but keep the intent explicit for readers. */
const route = (handler: Handler) => (req: Request, res: Response, next: NextFunction) => handler(req, res).catch(next);

/**
 * `POST /packages` stores a gzip tarball content-addressed and answers `{"sha256","size"}` (same
 * bytes, same answer). `GET /packages/{sha256}.tgz` serves it after re-checking its digest.
 */
export function packageRoutes(runtime: AppRuntime): Router {
  const router = Router();
  const { blobStore, dataSource, config, services } = runtime;

  router.post(
    "/",
    route(async (req, res) => {
      const viewer = await services.apiTokens.authenticate(req.headers.authorization);
      if (!viewer) throw new SkillyardError("UNAUTHENTICATED", "Uploading needs an API token (Authorization: Bearer <token>).");
      const declared = Number(req.headers["content-length"] ?? NaN);
      if (Number.isFinite(declared) && declared > config.limits.maxPackageBytes) {
        // Refuse before reading; the client learns at once instead of after uploading the whole body.
        res.setHeader("Connection", "close");
        throw new SkillyardError("PACKAGE_TOO_LARGE", `The package is over the ${config.limits.maxPackageBytes}-byte limit (MAX_PACKAGE_BYTES).`, {
          maxBytes: config.limits.maxPackageBytes,
        });
      }
      let stored;
      try {
        stored = await blobStore.putStream(req, config.limits.maxPackageBytes);
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
      const blob = await dataSource.getRepository(PackageBlob).findOneBy({ sha256 });
      if (!blob || !blobStore.has(sha256)) throw new SkillyardError("PACKAGE_NOT_FOUND", `No package with sha256 ${sha256}.`, { sha256 });
      const size = await blobStore.verify(sha256);
      res.setHeader("Content-Type", "application/gzip");
      res.setHeader("Content-Length", String(size));
      res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
      res.setHeader("ETag", `"${sha256}"`);
      res.setHeader("Digest", `sha-256=${Buffer.from(sha256, "hex").toString("base64")}`);
      blobStore.openRead(sha256).pipe(res);
    }),
  );
  return router;
}
