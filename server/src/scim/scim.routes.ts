import express, { type NextFunction, type Request, type Response, Router } from "express";
import { SkillyardError } from "@skillyard/core";
import type { Logger } from "../common/logger";
import { sameSecret } from "../common/same-secret";
import { SCIM, SCIM_CONTENT_TYPE, type JsonObject } from "./scim-protocol";
import type { ScimService } from "./scim.service";

type Handler = (req: Request, res: Response) => Promise<void>;

const route = (handler: Handler) => (req: Request, res: Response, next: NextFunction) => handler(req, res).catch(next);

/** scimType for the catalogue codes that have one (RFC 7644 §3.12). */
const SCIM_TYPES: Partial<Record<string, string>> = {
  SCIM_INVALID_FILTER: "invalidFilter",
  SCIM_INVALID_VALUE: "invalidValue",
  SCIM_UNIQUENESS: "uniqueness",
  BAD_REQUEST: "invalidSyntax",
};

function send(res: Response, status: number, body: JsonObject): void {
  res.status(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

function queryOf(req: Request): URLSearchParams {
  return new URL(req.originalUrl, "http://skillyard.invalid").searchParams;
}

export interface ScimRoutesDeps {
  token: string;
  scim: ScimService;
  logger: Logger;
  /** Counts each error answered, by its catalogue code (the HTTP error metric). */
  countError(code: string): void;
}

/**
 * SCIM 2.0 at /scim/v2 (only when SCIM_TOKEN is set): every request needs `Authorization: Bearer
 * <SCIM_TOKEN>` (compared in constant time); bodies are application/scim+json (application/json
 * is accepted too), and so are answers, errors included.
 */
export function scimRoutes(deps: ScimRoutesDeps): Router {
  const router = Router();
  const { scim } = deps;
  /** An error body per RFC 7644: schemas, status (a string), scimType where one applies, detail. */
  const sendError = (res: Response, error: SkillyardError): void => {
    deps.countError(error.code);
    const scimType = typeof error.details.scimType === "string" ? error.details.scimType : SCIM_TYPES[error.code];
    send(res, error.status, { schemas: [SCIM.error], status: String(error.status), ...(scimType ? { scimType } : {}), detail: error.message });
  };

  router.use((req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (match && sameSecret(match[1], deps.token)) {
      next();
      return;
    }
    res.setHeader("WWW-Authenticate", 'Bearer realm="skillyard-scim"');
    sendError(res, new SkillyardError("UNAUTHENTICATED", "SCIM requests need Authorization: Bearer <SCIM_TOKEN>."));
  });
  router.use(express.json({ type: ["application/scim+json", "application/json"], limit: "1mb" }));

  router.get("/ServiceProviderConfig", (_req, res) => send(res, 200, scim.serviceProviderConfig()));

  router.get(
    "/Users",
    route(async (req, res) => send(res, 200, await scim.listUsers(queryOf(req)))),
  );
  router.get(
    "/Users/:id",
    route(async (req, res) => send(res, 200, await scim.getUser(String(req.params.id)))),
  );
  router.post(
    "/Users",
    route(async (req, res) => send(res, 201, await scim.createUser(req.body))),
  );
  router.put(
    "/Users/:id",
    route(async (req, res) => send(res, 200, await scim.replaceUser(String(req.params.id), req.body))),
  );
  router.patch(
    "/Users/:id",
    route(async (req, res) => send(res, 200, await scim.patchUser(String(req.params.id), req.body))),
  );
  router.delete(
    "/Users/:id",
    route(async (req, res) => {
      await scim.deleteUser(String(req.params.id));
      res.status(204).end();
    }),
  );

  router.get(
    "/Groups",
    route(async (req, res) => send(res, 200, await scim.listGroups(queryOf(req)))),
  );
  router.get(
    "/Groups/:id",
    route(async (req, res) => send(res, 200, await scim.getGroup(String(req.params.id)))),
  );
  router.post(
    "/Groups",
    route(async (req, res) => send(res, 201, await scim.createGroup(req.body))),
  );
  router.put(
    "/Groups/:id",
    route(async (req, res) => send(res, 200, await scim.replaceGroup(String(req.params.id), req.body))),
  );
  router.patch(
    "/Groups/:id",
    route(async (req, res) => send(res, 200, await scim.patchGroup(String(req.params.id), req.body))),
  );
  router.delete(
    "/Groups/:id",
    route(async (req, res) => {
      await scim.deleteGroup(String(req.params.id));
      res.status(204).end();
    }),
  );

  router.use((req, res) => sendError(res, new SkillyardError("NOT_FOUND", `No SCIM endpoint ${req.method} ${req.path}.`)));
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (error as { type?: string }).type;
    if (error instanceof SkillyardError) sendError(res, error);
    else if (type === "entity.parse.failed") sendError(res, new SkillyardError("BAD_REQUEST", "The request body is not valid JSON."));
    else if (type === "entity.too.large") sendError(res, new SkillyardError("PAYLOAD_TOO_LARGE", "The request body is over 1 MiB."));
    else {
      deps.logger.error("SCIM request failed", { message: error instanceof Error ? error.message : String(error) });
      sendError(res, new SkillyardError("INTERNAL_SERVER_ERROR", "Internal server error"));
    }
  });
  return router;
}
