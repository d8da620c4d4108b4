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

/** One SCIM resource type's operations (RFC 7644 §3): what its six routes call. */
interface ScimResource {
  list(query: URLSearchParams): Promise<JsonObject>;
  get(id: string): Promise<JsonObject>;
  create(body: unknown): Promise<JsonObject>;
  replace(id: string, body: unknown): Promise<JsonObject>;
  patch(id: string, body: unknown): Promise<JsonObject>;
  remove(id: string): Promise<void>;
}

/** GET (list and one), POST, PUT, PATCH and DELETE of a resource type at `path`. */
function resourceRoutes(router: Router, path: string, resource: ScimResource): void {
  const id = (req: Request) => String(req.params.id);
  router.get(
    path,
    route(async (req, res) => send(res, 200, await resource.list(queryOf(req)))),
  );
  router.get(
    `${path}/:id`,
    route(async (req, res) => send(res, 200, await resource.get(id(req)))),
  );
  router.post(
    path,
    route(async (req, res) => send(res, 201, await resource.create(req.body))),
  );
  router.put(
    `${path}/:id`,
    route(async (req, res) => send(res, 200, await resource.replace(id(req), req.body))),
  );
  router.patch(
    `${path}/:id`,
    route(async (req, res) => send(res, 200, await resource.patch(id(req), req.body))),
  );
  router.delete(
    `${path}/:id`,
    route(async (req, res) => {
      await resource.remove(id(req));
      res.status(204).end();
    }),
  );
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

  resourceRoutes(router, "/Users", {
    list: (query) => scim.listUsers(query),
    get: (id) => scim.getUser(id),
    create: (body) => scim.createUser(body),
    replace: (id, body) => scim.replaceUser(id, body),
    patch: (id, body) => scim.patchUser(id, body),
    remove: (id) => scim.deleteUser(id),
  });
  resourceRoutes(router, "/Groups", {
    list: (query) => scim.listGroups(query),
    get: (id) => scim.getGroup(id),
    create: (body) => scim.createGroup(body),
    replace: (id, body) => scim.replaceGroup(id, body),
    patch: (id, body) => scim.patchGroup(id, body),
    remove: (id) => scim.deleteGroup(id),
  });

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
