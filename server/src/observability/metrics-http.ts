import { createHash, timingSafeEqual } from "node:crypto";
import { listen as listenOn } from "../common/listen";
import http from "node:http";
import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { SkillyardError } from "@skillyard/core";
import type { Logger } from "../common/logger";
import type { Metrics } from "./metrics";

export interface RouteLabels {
  /** The app's `app.use(path, …)` paths (literal ones). */
  mounts: readonly string[];
  /** Fixed names for patterns that say less than the metrics contract's names (`/packages/:file` → `/packages/:sha256`). */
  names?: Readonly<Record<string, string>>;
}

/**
 * Times every request and records it under its route pattern, never its raw URL: an express
 * route's path (`/v1/logs`, `/:file`) behind the mount it is under, else the mount a middleware
 * answered for (`/graphql`, `/admin`), else "other". Mounts and patterns are literal, so every
 * label value comes from the code, none from the client.
 */
export function httpMetricsMiddleware(metrics: Pick<Metrics, "observeHttp">, labels: RouteLabels): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    let recorded = false;
    // "finish" when the response went out; "close" alone when the client went away first. Once either way.
    const record = () => {
      if (recorded) return;
      recorded = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req, labels.mounts);
      metrics.observeHttp(req.method, labels.names?.[route] ?? route, res.statusCode, seconds);
    };
    res.once("finish", record);
    res.once("close", record);
    next();
  };
}

function routeLabel(req: Request, mounts: readonly string[]): string {
  // Routers match paths case-insensitively; the label uses the mount as the code spells it.
  const pathname = (req.originalUrl.split("?")[0] ?? "/").toLowerCase();
  const mount = mounts.find((m) => pathname === m.toLowerCase() || pathname.startsWith(`${m.toLowerCase()}/`)) ?? "";
  // Express sets req.route to the route that matched last; its path is the pattern as registered.
  const pattern: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === "string") {
    const full = `${mount}${pattern === "/" ? "" : pattern}`;
    return full === "" ? "/" : full;
  }
  return mount || "other";
}

/** Same digest length for any input, so the comparison takes the same time whatever was sent. */
function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest());
}

/**
 * GET /metrics in Prometheus' text format. With a token (METRICS_TOKEN), only
 * `Authorization: Bearer <token>` is served; anything else gets 401 and the catalogue's error body.
 */
export function metricsRoute(metrics: Metrics, token: string | null): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (token !== null) {
      const given = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? "")?.[1];
      if (given === undefined || !sameToken(given, token)) {
        const error = new SkillyardError("UNAUTHENTICATED", "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.");
        metrics.countError(error.code, "http");
        res
          .status(error.status)
          .set("WWW-Authenticate", 'Bearer realm="metrics"')
          .json({ error: { code: error.code, message: error.message } });
        return;
      }
    }
    metrics.render().then(
      (body) => {
        res.set("Content-Type", metrics.contentType).set("Cache-Control", "no-store").send(body);
      },
      (error: unknown) => next(error),
    );
  };
}

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * The HTTP listener of a process that serves no API (`--role worker`): /healthz and /metrics only,
 * so its sandbox and webhook counters can be scraped like the API's.
 */
export async function startMetricsListener(
  deps: { metrics: Metrics; token: string | null; logger: Logger },
  listen: { host: string; port: number },
): Promise<MetricsListener> {
  const app = express();
  app.disable("x-powered-by");
  app.use(httpMetricsMiddleware(deps.metrics, { mounts: [] }));
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/metrics", metricsRoute(deps.metrics, deps.token));
  app.use((req: Request, res: Response) => {
    deps.metrics.countError("NOT_FOUND", "http");
    res.status(404).json({ error: { code: "NOT_FOUND", message: `No route for ${req.method} ${req.path} (a worker serves /healthz and /metrics only).` } });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error("internal error", { message: String(error), stack: error instanceof Error ? error.stack : undefined });
    deps.metrics.countError("INTERNAL_SERVER_ERROR", "http");
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(500).json({ error: { code: "INTERNAL_SERVER_ERROR", message: "Internal server error" } });
  });
  return listenOn(http.createServer(app), listen);
}
