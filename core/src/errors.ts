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
  INSUFFICIENT_SCOPE: {
    status: 403,
    description: "The token lacks the scope the operation declares (`details.scope`), or its PUBLISH scope is limited to other teams.",
  },
  TOKEN_EXPIRED: { status: 401, description: "The API token is past its expiry; create a new one." },
  IP_NOT_ALLOWED: { status: 403, description: "The request came from an address outside the token's allowed CIDR ranges." },
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
  CSRF_INVALID: {
    status: 403,
    description: "A request with the console session cookie lacks the session's X-CSRF-Token (or WebSocket csrfToken), or it differs.",
  },
  ACCOUNT_DISABLED: {
    status: 403,
    description: "The account is deactivated (by the directory, through SCIM): it can no longer sign in or use its credentials.",
  },
  // single sign-on (OpenID Connect) and the CLI's sign-in
  SSO_NOT_CONFIGURED: { status: 400, description: "This Skillyard has no identity provider (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET are unset)." },
  SSO_UNAVAILABLE: { status: 503, description: "The identity provider did not answer (discovery or a token request failed); try again." },
  SSO_STATE_INVALID: {
    status: 400,
    description: "The sign-in callback does not belong to a sign-in this browser started: unknown, expired or already used state, or another browser.",
  },
  SSO_SIGN_IN_FAILED: {
    status: 400,
    description: "The identity provider's answer was refused: an error from the provider, or a failed check (nonce, PKCE, ID token).",
  },
  SSO_CLAIMS_INVALID: { status: 400, description: "The identity provider sent no usable email (or subject) for the person signing in." },
  SSO_ACCOUNT_CONFLICT: {
    status: 409,
    description: "The email belongs to a Skillyard user linked to another directory identity, or is not verified by the provider and already taken.",
  },
  RETURN_TO_INVALID: { status: 400, description: "returnTo must be a path under /admin on this Skillyard." },
  DEVICE_FLOW_UNSUPPORTED: {
    status: 400,
    description: "The identity provider has no device authorization endpoint: sign in with the loopback redirect instead.",
  },
  AUTHORIZATION_PENDING: { status: 400, description: "The device sign-in is not approved yet: poll again after the interval." },
  SLOW_DOWN: { status: 400, description: "Polled sooner than the interval: wait 5 more seconds between polls." },
  ACCESS_DENIED: { status: 400, description: "The person declined the sign-in at the identity provider." },
  DEVICE_CODE_EXPIRED: { status: 400, description: "The device code is unknown, expired or already used: start the sign-in again." },
  CLI_CODE_INVALID: { status: 400, description: "The loopback sign-in code is unknown, expired or already used, or the PKCE verifier does not match it." },
  // SCIM 2.0 provisioning
  SCIM_INVALID_FILTER: { status: 400, description: 'The SCIM filter is not one Skillyard supports (userName, externalId or displayName eq "…").' },
  SCIM_INVALID_VALUE: { status: 400, description: "A SCIM request's attribute is missing, malformed or not writable." },
  SCIM_UNIQUENESS: { status: 409, description: "A SCIM user with this userName or email, or a group with this displayName, already exists." },
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
