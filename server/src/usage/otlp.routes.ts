import express, { Router, type NextFunction, type Request, type Response } from "express";
import { ERROR_CODES, type ErrorCode, SkillyardError } from "@skillyard/core";
import type { Logger } from "../common/logger";
import type { RestAuthenticator, RestRoute } from "../identity/rest-access";
import type { Metrics } from "../observability/metrics";
import { decodeJsonLogs, decodeProtobufLogs, logRecords, logsResponse, statusProtobuf } from "./otlp-logs";
import { metricDataPoints } from "./otlp-metrics";
import { extractUsageEvents } from "./usage-events";
import type { UsageIngestService } from "./usage-ingest.service";

export interface OtlpRoutesDeps {
  ingest: UsageIngestService;
  logger: Logger;
  teamAttribute: string;
  retentionDays: number;
  maxBodyBytes: number;
  /** The request's token, checked against the route's scopes (REST_ROUTE_SCOPES: INGEST); null without one. */
  authenticate: RestAuthenticator<Request>;
  /** The team an ingest token reports for (the one whose generated settings carry it); null for any other. */
  ingestTeam(tokenId: string): Promise<string | null>;
  metrics: Pick<Metrics, "otlpIngested" | "countError">;
}

/** gRPC status codes OTLP/HTTP puts in its Status bodies. */
const GRPC_CODE: Partial<Record<number, number>> = { 400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 503: 14 };

const isProtobuf = (req: Request) => (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase() === "application/x-protobuf";
const isJson = (req: Request) => (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase() === "application/json";

/**
 * OTLP/HTTP receivers for Claude Code's telemetry. `POST /v1/logs` takes an ExportLogsServiceRequest
 * as JSON or protobuf (gzip allowed), from tokens with the INGEST scope only, and answers as OTLP specifies: 200 with
 * an ExportLogsServiceResponse (partial success naming rejected records), or an error status with a
 * google.rpc.Status body whose message starts with Skillyard's error code. A failure to store
 * answers 503 so the exporter retries; retries are idempotent. `POST /v1/metrics` is accepted and
 * discarded.
 */
export function otlpRoutes(deps: OtlpRoutesDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: deps.maxBodyBytes, inflate: true });

  const fail = (req: Request, res: Response, code: ErrorCode, message: string, status: number = ERROR_CODES[code].status) => {
    deps.metrics.countError(code, "http");
    const text = `${code}: ${message}`;
    const grpc = GRPC_CODE[status] ?? 2;
    if (status === 503) res.setHeader("Retry-After", "2");
    if (isProtobuf(req)) res.status(status).type("application/x-protobuf").send(statusProtobuf(grpc, text));
    else
      res.status(status).json({
        code: grpc,
        message: text,
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: code, domain: "skillyard" }],
      });
  };

  /** Authenticates first (before reading the body), then reads it within the limit. */
  const receive = (route: RestRoute, handler: (req: Request, res: Response, team: string | null) => Promise<void>) => [
    (req: Request, res: Response, next: NextFunction) => {
      void (async () => {
        const viewer = await deps.authenticate(req, route);
        if (!viewer?.tokenId) {
          fail(req, res, "UNAUTHENTICATED", "Send an ingest token: Authorization: Bearer <token> (OTEL_EXPORTER_OTLP_HEADERS).");
          return;
        }
        res.locals.team = await deps.ingestTeam(viewer.tokenId);
        next();
      })().catch((error: unknown) => {
        if (error instanceof SkillyardError) fail(req, res, error.code, error.message);
        else next(error);
      });
    },
    (req: Request, res: Response, next: NextFunction) => {
      if (!isJson(req) && !isProtobuf(req)) {
        fail(req, res, "UNSUPPORTED_MEDIA_TYPE", "Send application/json or application/x-protobuf.");
        return;
      }
      raw(req, res, (error?: unknown) => {
        if (!error) {
          next();
          return;
        }
        const type = (error as { type?: string }).type;
        if (type === "entity.too.large")
          fail(req, res, "PAYLOAD_TOO_LARGE", `The body is over ${deps.maxBodyBytes} bytes (USAGE_MAX_BODY_BYTES); send smaller batches.`);
        else if (type === "encoding.unsupported") fail(req, res, "OTLP_BAD_REQUEST", "Only gzip and deflate content encodings are accepted.", 415);
        else fail(req, res, "OTLP_BAD_REQUEST", "The body could not be read (a truncated or corrupt gzip stream?).");
      });
    },
    (req: Request, res: Response) => {
      handler(req, res, res.locals.team as string | null).catch((error: unknown) => {
        if (error instanceof SkillyardError) {
          fail(req, res, error.code, error.message);
          return;
        }
        deps.logger.error("storing telemetry failed", { message: String(error), stack: error instanceof Error ? error.stack : undefined });
        fail(req, res, "INTERNAL_SERVER_ERROR", "Telemetry could not be stored now; retry.", 503);
      });
    },
  ];

  router.post(
    "/v1/logs",
    ...receive("POST /v1/logs", async (req, res, tokenTeam) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const protobuf = isProtobuf(req);
      const request = protobuf ? decodeProtobufLogs(body) : decodeJsonLogs(body);
      const extracted = extractUsageEvents(logRecords(request), {
        teamAttribute: deps.teamAttribute,
        tokenTeam,
        userSalt: await deps.ingest.userSalt(),
        now: new Date(),
        retentionDays: deps.retentionDays,
      });
      const { stored } = await deps.ingest.ingest(extracted.events);
      // Every record of an accepted batch is counted once: stored, or ignored (another kind, refused, a retry's duplicate).
      deps.metrics.otlpIngested("logs", "stored", stored);
      deps.metrics.otlpIngested("logs", "ignored", extracted.received - stored);
      const answer = logsResponse(extracted.rejected, extracted.rejectedReasons.join("; "), protobuf);
      res.status(200).type(answer.contentType).send(answer.body);
    }),
  );

  router.post(
    "/v1/metrics",
    ...receive("POST /v1/metrics", async (req, res) => {
      // Accepted and discarded: usage counts come from the log events.
      deps.metrics.otlpIngested("metrics", "ignored", metricDataPoints(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), isProtobuf(req)));
      if (isProtobuf(req)) res.status(200).type("application/x-protobuf").send(Buffer.alloc(0));
      else res.status(200).json({});
    }),
  );
  return router;
}
