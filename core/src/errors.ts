/**
 * The one error-code catalogue. Every error a client can see carries one of these codes
 * (GraphQL `extensions.code`, REST `{"error":{"code"}}`, CLI `--json`). `status` is the HTTP
 * status used when the error ends a REST request.
 */
export const ERROR_CODES = {
  // generic
  BAD_USER_INPUT: { status: 400, description: "An argument is malformed." },
  UNAUTHENTICATED: { status: 401, description: "No valid API token was presented." },
  FORBIDDEN: { status: 403, description: "The token's user may not do this." },
  NOT_FOUND: { status: 404, description: "The named object does not exist (or is not visible)." },
  PAYLOAD_TOO_LARGE: { status: 413, description: "The request body is over the size limit." },
  INTERNAL_SERVER_ERROR: { status: 500, description: "Something failed on the server; details are in its log." },
  // GraphQL hardening
  BAD_REQUEST: { status: 400, description: "The HTTP request is malformed: bad JSON, no query, or a simple request refused by CSRF prevention." },
  OPERATION_RESOLUTION_FAILURE: { status: 400, description: "The named operation is not in the document." },
  GRAPHQL_PARSE_FAILED: { status: 400, description: "The query is not valid GraphQL syntax." },
  GRAPHQL_VALIDATION_FAILED: { status: 400, description: "The query does not match the schema." },
  PERSISTED_QUERY_NOT_FOUND: { status: 200, description: "Automatic persisted query: the server does not know this hash yet; send the query with it once." },
  QUERY_TOO_DEEP: { status: 400, description: "The query nests deeper than the depth limit." },
  QUERY_TOO_COMPLEX: { status: 400, description: "The query's estimated cost is over the limit." },
  TOO_MANY_ALIASES: { status: 400, description: "The query uses more aliases than allowed." },
  // identity
  INVITATION_INVALID: { status: 400, description: "The invitation code is unknown, expired, superseded or already redeemed." },
  // package upload and archive safety
  PACKAGE_TOO_LARGE: { status: 413, description: "The compressed package is over MAX_PACKAGE_BYTES." },
  PACKAGE_NOT_GZIP: { status: 400, description: "The package is not a gzip stream." },
  PACKAGE_CORRUPT: { status: 400, description: "The gzip or tar stream is truncated or malformed." },
  PACKAGE_NOT_FOUND: { status: 404, description: "No package with that sha256 was uploaded." },
  BLOB_CORRUPT: { status: 500, description: "A stored package or plugin archive does not hash to its digest; it is not served." },
  BLOB_STORE_UNAVAILABLE: { status: 503, description: "The blob store (local directory or S3) did not answer; try again." },
  RANGE_NOT_SATISFIABLE: { status: 416, description: "The Range header asks for bytes past the end of the package or archive; Content-Range gives its size." },
  PACKAGE_INVALID_PATH: { status: 400, description: "An entry path is absolute, contains '..', or has forbidden characters." },
  PACKAGE_LINK: { status: 400, description: "An entry is a symbolic or hard link." },
  PACKAGE_SPECIAL_FILE: { status: 400, description: "An entry is a device, FIFO or other special file." },
  PACKAGE_DUPLICATE_ENTRY: { status: 400, description: "Two entries have the same path." },
  PACKAGE_CASE_COLLISION: { status: 400, description: "Two entries differ only by letter case." },
  PACKAGE_TOO_MANY_ENTRIES: { status: 400, description: "The archive has more entries than allowed." },
  PACKAGE_PATH_TOO_DEEP: { status: 400, description: "An entry path has more segments than allowed." },
  PACKAGE_UNPACKED_TOO_LARGE: { status: 400, description: "The unpacked size is over MAX_UNPACKED_BYTES." },
  PACKAGE_COMPRESSION_RATIO: { status: 400, description: "The archive expands more than MAX_COMPRESSION_RATIO times." },
  // manifest
  MANIFEST_MISSING: { status: 400, description: "The package has neither skill.yaml nor SKILL.md at its root." },
  MANIFEST_YAML_INVALID: { status: 400, description: "skill.yaml or the SKILL.md front matter is not safe, valid YAML." },
  MANIFEST_INVALID: { status: 400, description: "The manifest does not satisfy the schema; `details.errors` names each field path." },
  MANIFEST_MISMATCH: { status: 400, description: "skill.yaml and SKILL.md disagree (e.g. on the name)." },
  PERMISSION_UNKNOWN: { status: 400, description: "A requested permission is not in the catalogue." },
  VERSION_REQUIRED: { status: 400, description: "A SKILL.md-only package needs the version in the publish call." },
  VERSION_MISMATCH: { status: 400, description: "The publish call names a different version than skill.yaml." },
  // evals
  EVAL_SUITE_INVALID: {
    status: 400,
    description: "evals/suite.yaml does not satisfy the suite format (or is not safe, valid YAML); `details.errors` names each field path.",
  },
  // publishing
  VERSION_EXISTS: { status: 409, description: "This name@version is already taken by different bytes (versions are immutable, also after a yank)." },
  NAME_TOO_SIMILAR: { status: 409, description: "The name is confusingly close to an existing skill's name." },
  NAME_RESERVED: { status: 409, description: "The name is Skillyard's own (the runtime policy plugin in every catalog)." },
  DEPENDENCY_NOT_FOUND: { status: 400, description: "A dependency names a skill that does not exist." },
  DEPENDENCY_SELF: { status: 400, description: "A skill cannot depend on itself." },
  // install and resolution
  NO_MATCHING_VERSION: { status: 404, description: "No installable version satisfies the range." },
  DEPENDENCY_CONFLICT: { status: 409, description: "Two paths in the dependency tree need incompatible versions of one skill." },
  DEPENDENCY_CYCLE: { status: 409, description: "The dependency tree loops back on itself." },
  // distribution to Claude Code
  PLUGIN_NOT_FOUND: { status: 404, description: "No installable version (or runtime policy) has a plugin archive with that sha256." },
  PLUGIN_YANKED: { status: 410, description: "The plugin archive's version was yanked; catalogs no longer list it." },
  // usage telemetry (OTLP)
  OTLP_BAD_REQUEST: { status: 400, description: "The OTLP request body cannot be decoded as an ExportLogsServiceRequest (JSON or protobuf)." },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: "The request's Content-Type is not one this endpoint takes (OTLP: application/json or application/x-protobuf).",
  },
  // quality reviews
  QUALITY_REVIEW_INVALID: { status: 400, description: "A quality review names a version of another skill, or one that is not installable." },
  // reviews
  RATING_INVALID: { status: 400, description: "A rating must be a whole number from 1 to 5." },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export type ErrorDetails = Record<string, unknown>;

/** An expected failure with a catalogue code; its message and details are safe to show a client. */
export class SkillyardError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = "SkillyardError";
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
