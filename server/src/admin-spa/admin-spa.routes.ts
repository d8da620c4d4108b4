import { stat } from "node:fs/promises";
import path from "node:path";
import express, { type NextFunction, type Request, type Response, type Router } from "express";

/** Vite puts content-hashed bundles here: a changed file gets a new name, so they can be cached forever. */
const ASSETS_PREFIX = "/assets/";
const IMMUTABLE = "public, max-age=31536000, immutable";
/** Everything else (index.html above all) is revalidated on every load, so a deploy shows at once. */
const REVALIDATE = "no-cache";

const NOT_BUILT = [
  "<!doctype html>",
  '<html lang="en"><head><meta charset="utf-8"><title>Skillyard admin is not built</title></head>',
  "<body><h1>The Skillyard admin app is not built</h1>",
  "<p>Run <code>npm run build</code> in the repository (it builds <code>admin/dist</code>), or point <code>ADMIN_DIST_DIR</code> at a built copy, then reload.</p>",
  "</body></html>",
  "",
].join("\n");

/** True when a (still percent-encoded) request path names a parent directory or cannot be decoded. */
function isSuspicious(encodedPath: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encodedPath);
  } catch {
    return true;
  }
  return decoded.includes("\0") || decoded.split(/[\\/]/).includes("..");
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Serves the admin SPA's built files under /admin/ (mount it at "/admin"): `/admin` redirects to
 * `/admin/` (308); files under `assets/` are cached for a year as immutable; every other GET that
 * is not a file answers index.html (client-side routes such as /admin/reviews/abc) with no-cache.
 * No directory listings, no dotfiles, nothing outside `distDir`. When the SPA is not built (no
 * `distDir/index.html`) it answers 503 saying so. The directory is looked up on every request, so
 * building the SPA while the server runs needs no restart.
 */
export function adminSpaRoutes(distDir: string): Router {
  const root = path.resolve(distDir);
  const index = path.join(root, "index.html");
  const assetsDir = path.join(root, "assets") + path.sep;
  const router = express.Router();

  router.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      next();
      return;
    }
    // Mounted at /admin, "/admin" and "/admin/" both arrive as "/"; only the first lacks the slash.
    const [pathname, search] = splitUrl(req.originalUrl);
    if (!pathname.endsWith("/") && pathname.toLowerCase() === req.baseUrl.toLowerCase()) {
      res.redirect(308, `/admin/${search}`);
      return;
    }
    next();
  });

  router.use(
    express.static(root, {
      index: false,
      redirect: false,
      dotfiles: "ignore",
      cacheControl: false,
      setHeaders: (res, file) => {
        res.setHeader("Cache-Control", file.startsWith(assetsDir) ? IMMUTABLE : REVALIDATE);
      },
    }),
  );

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      next();
      return;
    }
    const [pathname] = splitUrl(req.url);
    if (isSuspicious(pathname)) {
      res.status(404).type("text/plain").send("Not found\n");
      return;
    }
    if (!(await isFile(index))) {
      res.status(503).set("Cache-Control", "no-store").type("html").send(NOT_BUILT);
      return;
    }
    // A missing bundle must not come back as HTML with a 200 (the browser would try to run it).
    if (pathname.startsWith(ASSETS_PREFIX) || pathname === ASSETS_PREFIX.slice(0, -1)) {
      res.status(404).type("text/plain").send("Not found\n");
      return;
    }
    res.sendFile("index.html", { root, cacheControl: false, headers: { "Cache-Control": REVALIDATE } }, (err?: Error) => {
      if (err && !res.headersSent) res.status(503).set("Cache-Control", "no-store").type("html").send(NOT_BUILT);
    });
  });

  return router;
}

function splitUrl(url: string): [pathname: string, search: string] {
  const q = url.indexOf("?");
  return q === -1 ? [url, ""] : [url.slice(0, q), url.slice(q)];
}
