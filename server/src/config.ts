import path from "node:path";
import type { ArchiveLimits } from "@skillyard/core";
import { z } from "zod";
import { type Cidr, parseCidr } from "./common/cidr";
import { repoRoot } from "./common/repo-root";

const MiB = 1024 * 1024;

const int = (min: number, max: number) => z.string().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(z.number().int().min(min).max(max));

const bool = z.enum(["true", "false"], { error: 'must be "true" or "false"' }).transform((v) => v === "true");

const ratio = z
  .string()
  .regex(/^\d+(\.\d+)?$/, "must be a number")
  .transform(Number);

const otlpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL (an OTLP/HTTP collector)" });

/** The networks of `loopback`, `linklocal` and `uniquelocal`, the names Express's "trust proxy" takes. */
const PROXY_NETWORK_NAMES: Readonly<Record<string, readonly string[]>> = {
  loopback: ["127.0.0.0/8", "::1/128"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
  uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
};

const trustedProxies = z.string().transform((raw, ctx) => {
  const networks: Cidr[] = [];
  for (const entry of raw
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "")) {
    const parsed = (PROXY_NETWORK_NAMES[entry] ?? [entry]).map((text) => parseCidr(text, { strict: false }));
    if (parsed.some((cidr) => cidr === null)) {
      ctx.addIssue({
        code: "custom",
        message: `must be addresses, CIDR ranges or loopback, linklocal, uniquelocal, separated by commas; "${entry}" is none of them`,
      });
      return z.NEVER;
    }
    networks.push(...(parsed as Cidr[]));
  }
  return networks;
});

/**
 * The OpenTelemetry variables Skillyard reads: a part of envSchema of its own, because the tracing
 * bootstrap (observability/tracing.ts) reads them with loadTracingConfig before any other module loads.
 */
const tracingEnvSchema = z.object({
  /** OTLP/HTTP collector; traces go to `<url>/v1/traces`. Unset, together with the next one: no tracing (the default). */
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
  /** The full OTLP/HTTP traces URL, used as it is; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
});

/**
 * Every environment variable Skillyard reads, validated in one place at start-up.
 * Values arrive as strings; defaults are strings too so one parser handles both.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(0, 65535).default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" }).optional(),
  EMBEDDED_POSTGRES_PORT: int(1, 65535).default(54329),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  SKILLYARD_BOOTSTRAP_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_\-.]{24,128}$/, "must be 24-128 characters of letters, digits, '_', '-' or '.'")
    .optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** Log lines on stderr: `json` (one object per line) or `pretty` (for people); unset: pretty on a terminal, JSON otherwise. */
  LOG_FORMAT: z.enum(["json", "pretty"], { error: 'must be "json" or "pretty"' }).optional(),
  /** When set, GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, /metrics is open to whoever reaches the port. */
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,256}$/, "must be 16-256 printable ASCII characters without spaces")
    .optional(),
  ...tracingEnvSchema.shape,
  /** Port of the subgraph listener for a company router; unset (the default) serves no subgraph endpoint. */
  SUBGRAPH_PORT: int(1, 65535).optional(),
  /** Shared secret a router sends in the `x-skillyard-subgraph-secret` header; required with SUBGRAPH_PORT. */
  SUBGRAPH_SECRET: z
    .string()
    .regex(/^[\x21-\x7e]{32,256}$/, "must be 32-256 printable ASCII characters without spaces")
    .optional(),
  /** How long an invitation code can be redeemed. */
  INVITATION_TTL_HOURS: int(1, 24 * 30).default(72),
  /** Expiry of a new API token when its creator names none. */
  TOKEN_DEFAULT_TTL_DAYS: int(1, 3650).default(90),
  /** The longest expiry a new API token may have. */
  TOKEN_MAX_TTL_DAYS: int(1, 3650).default(365),
  /**
   * The reverse proxies in front of the API (nginx in docker-compose, an ingress): addresses, CIDR
   * ranges or loopback/linklocal/uniquelocal, as Express's "trust proxy" list. A request from one of
   * them is taken to come from the address it puts in X-Forwarded-For (tokens' allowed CIDRs are
   * matched against it). Unset: none, the TCP peer is the client.
   */
  TRUSTED_PROXIES: trustedProxies.optional(),
  /**
   * Single sign-on: the identity provider's issuer (discovered at `<issuer>/.well-known/openid-configuration`)
   * and Skillyard's confidential client there. All three or none; https, except on a loopback address (tests, labs).
   */
  OIDC_ISSUER: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL (the provider's issuer)" }).optional(),
  OIDC_CLIENT_ID: z
    .string()
    .regex(/^[\x21-\x7e]{1,512}$/, "must be 1-512 printable ASCII characters without spaces")
    .optional(),
  OIDC_CLIENT_SECRET: z
    .string()
    .regex(/^[\x20-\x7e]{1,1024}$/, "must be 1-1024 printable ASCII characters")
    .optional(),
  /** Scopes asked for at sign-in (space-separated; `openid` is required). */
  OIDC_SCOPES: z
    .string()
    .regex(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/, "must be scope names separated by single spaces")
    .refine((v) => v.split(" ").includes("openid"), "must include openid")
    .default("openid email profile groups"),
  /** The ID token or userinfo claim that lists the person's directory groups (an array of strings). */
  OIDC_GROUPS_CLAIM: z
    .string()
    .regex(/^[A-Za-z0-9_.:/-]{1,128}$/, "must be 1-128 letters, digits or _.:/-")
    .default("groups"),
  /** A console session ends after this many minutes without a request... */
  SESSION_IDLE_MINUTES: int(1, 7 * 24 * 60).default(60),
  /** ...and this many hours after sign-in in any case. */
  SESSION_MAX_HOURS: int(1, 90 * 24).default(12),
  /** How long a token made by `skillyard login --sso` works. */
  CLI_TOKEN_TTL_DAYS: int(1, 3650).default(30),
  /** When set, SCIM 2.0 is served at /scim/v2 to a provider that sends `Authorization: Bearer <SCIM_TOKEN>`. */
  SCIM_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{32,256}$/, "must be 32-256 printable ASCII characters without spaces")
    .optional(),
  /**
   * How often a worker adds the installs committed since its last roll-up to the download counters:
   * `downloads` (and sorting by it) lags installs by about this much.
   */
  DOWNLOADS_ROLLUP_INTERVAL_SECONDS: int(1, 3600).default(5),
  /** Claude Code marketplace name of the `latest` catalog; channels are `<name>-<channel>`. */
  MARKETPLACE_NAME: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/, "must be 2-32 lowercase letters, digits or '-', starting with a letter")
    .default("skillyard"),
  /** Every read (GraphQL, downloads, catalogs, plugins) needs a token; Claude Code sends one through the marketplace's `headers`. */
  REQUIRE_AUTH_FOR_READ: bool.default(false),
  /** The admin SPA's built files, served at /admin/ (relative paths are from the repository root). */
  ADMIN_DIST_DIR: z.string().min(1).optional(),
  /** Compressed upload cap for POST /packages. */
  MAX_PACKAGE_BYTES: int(1024, 1024 * MiB).default(10 * MiB),
  /** Sum of unpacked file sizes in one package. */
  MAX_UNPACKED_BYTES: int(1024, 4096 * MiB).default(64 * MiB),
  MAX_PACKAGE_ENTRIES: int(1, 1_000_000).default(5000),
  MAX_PACKAGE_PATH_DEPTH: int(1, 1024).default(32),
  /** Unpacked bytes / compressed bytes; zip-bomb guard. */
  MAX_COMPRESSION_RATIO: ratio.pipe(z.number().min(1).max(100000)).default(200),
  GRAPHQL_MAX_DEPTH: int(2, 100).default(12),
  GRAPHQL_MAX_COST: int(10, 1_000_000).default(20000),
  GRAPHQL_MAX_ALIASES: int(1, 1000).default(30),
  GRAPHQL_MAX_BODY_BYTES: int(1024, 64 * MiB).default(1 * MiB),
  /** Docker engine for sandboxes; dockerode also reads it (unix:///var/run/docker.sock when unset). */
  DOCKER_HOST: z
    .string()
    .regex(/^(unix|tcp|http|https|ssh):\/\//, "must be a unix://, tcp://, http(s):// or ssh:// address")
    .optional(),
  /** JSON object mapping `language:version` to an image, merged over the defaults. */
  SANDBOX_IMAGES: z
    .string()
    .transform((raw, ctx) => {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === "string")) {
          return parsed as Record<string, string>;
        }
      } catch {
        // reported below
      }
      ctx.addIssue({ code: "custom", message: 'must be a JSON object like {"python:3.12":"my/python:3.12"}' });
      return z.NEVER;
    })
    .optional(),
  TEST_PASS_THRESHOLD: ratio.pipe(z.number().min(0).max(1)).default(0.8),
  /** Versions requesting a permission at or above this risk wait for a reviewer. */
  REVIEW_RISK_THRESHOLD: z.enum(["LOW", "MEDIUM", "HIGH", "CRITICAL"]).default("HIGH"),
  SANDBOX_MAX_MEMORY_MB: int(32, 65536).default(1024),
  SANDBOX_DEFAULT_MEMORY_MB: int(32, 65536).default(256),
  SANDBOX_MAX_TIMEOUT_SECONDS: int(1, 86400).default(600),
  SANDBOX_DEFAULT_TIMEOUT_SECONDS: int(1, 86400).default(120),
  SANDBOX_CPUS: ratio.pipe(z.number().min(0.1).max(64)).default(1),
  SANDBOX_PIDS_LIMIT: int(8, 100000).default(128),
  SANDBOX_MAX_LOG_BYTES: int(1024, 1024 * MiB).default(1 * MiB),
  /** Most sandbox containers running at once across every worker sharing this database. */
  SANDBOX_MAX_CONCURRENCY: int(1, 1000).default(2),
  /** Retries (with exponential backoff) when Docker itself fails, before a run ends as INFRA_ERROR. */
  SANDBOX_INFRA_RETRIES: int(0, 100).default(3),
  SANDBOX_INFRA_RETRY_DELAY_SECONDS: int(1, 3600).default(5),
  /**
   * How often an idle worker looks for runs by itself. A NOTIFY from the enqueuing transaction wakes
   * it at once; this poll only catches what no notification announced (retries falling due, a lost LISTEN connection).
   */
  SANDBOX_JOB_POLL_SECONDS: int(1, 3600).default(2),
  /** Label value that marks this installation's sandboxes on a shared Docker host (default: derived from the database). */
  SANDBOX_SCOPE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.' or '-'")
    .optional(),
  /** HTTP attempts per webhook delivery (the first plus retries with exponential backoff) before it is FAILED. */
  WEBHOOK_MAX_ATTEMPTS: int(1, 50).default(6),
  /** Base delay before the first retry; each further retry waits about twice as long (with jitter). */
  WEBHOOK_RETRY_DELAY_SECONDS: int(1, 3600).default(2),
  /** How long a receiver has to answer one delivery attempt. */
  WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** Lets webhooks reach loopback, private and link-local addresses: for tests and labs only. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool.default(false),
  /** The OTLP resource attribute that names the team (Claude Code's OTEL_RESOURCE_ATTRIBUTES=team=…). */
  USAGE_TEAM_ATTRIBUTE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.' or '-'")
    .default("team"),
  /** Days of raw usage events kept (daily partitions, dropped whole); rollups per day are kept forever. */
  USAGE_RAW_RETENTION_DAYS: int(1, 3650).default(30),
  /** A skill is High tier above this many invocations a week, Medium from USAGE_TIER_MEDIUM_PER_WEEK up to it, Low below. */
  USAGE_TIER_HIGH_PER_WEEK: int(1, 1_000_000_000).default(100),
  USAGE_TIER_MEDIUM_PER_WEEK: int(1, 1_000_000_000).default(10),
  /** How many full weeks (Monday to Sunday, UTC) the tier averages over. */
  USAGE_TIER_WEEKS: int(1, 52).default(4),
  /** Largest OTLP request body accepted on /v1/logs and /v1/metrics, after decompression. */
  USAGE_MAX_BODY_BYTES: int(1024, 256 * MiB).default(16 * MiB),
  /** How often a worker drops expired raw partitions, recomputes tiers and announces due quality reviews (each worker, serialised). */
  USAGE_JOBS_INTERVAL_SECONDS: int(10, 86_400).default(3600),
  /** Base URL of an Anthropic-compatible Messages API that scores rubric cases; unset: rubric cases are "not scored". */
  EVAL_JUDGE_URL: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  EVAL_JUDGE_MODEL: z.string().min(1).default("claude-sonnet-4-5"),
  /** The judge's API key (sent as x-api-key); ANTHROPIC_API_KEY is used when this is unset. */
  EVAL_JUDGE_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  /** Most judge calls (retries included) one eval run may make: the spend cap. */
  EVAL_JUDGE_MAX_CALLS: int(0, 100_000).default(100),
  /** A suite's minimum score when its evals/suite.yaml names no min_score. */
  EVAL_DEFAULT_MIN_SCORE: ratio.pipe(z.number().min(0).max(1)).default(0.8),
  /** How far a gated version's score may fall below the version `latest` points to before it is held for review. */
  EVAL_MAX_REGRESSION: ratio.pipe(z.number().min(0).max(1)).default(0.05),
  /** Usage tiers whose new versions must pass their evals (comma-separated, or NONE). Other tiers' evals run and never block. */
  EVAL_GATED_TIERS: z
    .string()
    .regex(/^\s*(NONE|(HIGH|MEDIUM|LOW)(\s*,\s*(HIGH|MEDIUM|LOW))*)\s*$/, "must be NONE or a comma-separated list of HIGH, MEDIUM, LOW")
    .default("HIGH")
    .transform((v) => (v.trim() === "NONE" ? [] : [...new Set(v.split(",").map((t) => t.trim() as "HIGH" | "MEDIUM" | "LOW"))])),
  /** Wall-clock limit for one eval case's entry point. */
  EVAL_CASE_TIMEOUT_SECONDS: int(1, 600).default(30),
  /** Most bytes of an entry point's output kept per case; more is cut and scored as it is. */
  EVAL_OUTPUT_CAP_BYTES: int(1024, 16 * MiB).default(256 * 1024),
  /**
   * Where package and plugin blobs live: unset keeps them in DATA_DIR/blobs; `s3://bucket/prefix`
   * puts them in an S3-compatible bucket (credentials from the AWS SDK's default chain).
   */
  BLOB_STORE_URL: z
    .string()
    .regex(
      /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9!_.*'()/-]*)?$/,
      "must be s3://bucket or s3://bucket/prefix (a valid bucket name; the prefix of letters, digits and !_.*'()/-)",
    )
    .optional(),
  /** Package and plugin downloads redirect to short-lived presigned S3 URLs instead of streaming through the server. */
  BLOB_PRESIGN: bool.default(false),
  BLOB_PRESIGN_TTL_SECONDS: int(10, 7 * 24 * 3600).default(300),
  /**
   * How often workers re-hash every blob of the local store (`DATA_DIR/blobs`); 0: never. A blob found
   * damaged is refused from then on. S3 blobs are hashed on every read instead.
   */
  BLOB_VERIFY_INTERVAL_HOURS: int(0, 24 * 365).optional(),
  /** The S3 region (the AWS SDK's own variable); S3-compatible servers usually accept any. */
  AWS_REGION: z
    .string()
    .regex(/^[a-z0-9-]{2,32}$/, "must be a region name such as us-east-1")
    .default("us-east-1"),
  /** S3 endpoint for MinIO, Ceph RGW or another S3-compatible server (the AWS SDK's variables; the S3-specific one wins). */
  AWS_ENDPOINT_URL_S3: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  AWS_ENDPOINT_URL: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  /**
   * Static S3 credentials (the AWS SDK's variables). Unset, the SDK's default chain finds them
   * (shared files, web identity, instance metadata).
   */
  AWS_ACCESS_KEY_ID: z
    .string()
    .regex(/^[\x21-\x7e]{3,128}$/, "must be 3-128 printable characters")
    .optional(),
  AWS_SECRET_ACCESS_KEY: z
    .string()
    .regex(/^[\x21-\x7e]{3,256}$/, "must be 3-256 printable characters")
    .optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need; default: on with a custom endpoint. */
  S3_FORCE_PATH_STYLE: bool.optional(),
});

/** Images for the runtimes a manifest may declare (`runtimes/` builds them, online or offline). */
export const DEFAULT_SANDBOX_IMAGES: Readonly<Record<string, string>> = {
  "python:3.11": "skillyard/runtime-python:3.11",
  "node:20": "skillyard/runtime-node:20",
};

export type Config = Readonly<{
  nodeEnv: "development" | "production" | "test";
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  embeddedPostgresPort: number;
  publicUrl: string;
  bootstrapToken: string | undefined;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** null: pretty when stderr is a terminal, JSON lines otherwise. */
  logFormat: "json" | "pretty" | null;
  /** The bearer token /metrics asks for; null when /metrics is open. */
  metricsToken: string | null;
  /** Where traces are exported; null when tracing is off. */
  tracing: TracingConfig | null;
  marketplaceName: string;
  requireAuthForRead: boolean;
  /** The subgraph listener for a company router; null when SUBGRAPH_PORT is unset. */
  subgraphListener: Readonly<{ port: number; secret: string }> | null;
  invitationTtlHours: number;
  /** Single sign-on through an OpenID provider; null when OIDC_ISSUER is unset. */
  oidc: OidcConfig | null;
  /** Console sessions (cookie sign-in through the provider). */
  sessions: Readonly<{ idleMinutes: number; maxHours: number }>;
  /** Lifetime of the API tokens `skillyard login --sso` creates. */
  cliTokenTtlDays: number;
  /** The bearer token SCIM clients send; null: no /scim/v2. */
  scimToken: string | null;
  tokens: Readonly<{ defaultTtlDays: number; maxTtlDays: number }>;
  /** Proxies whose X-Forwarded-For is believed when finding a request's client address; empty: none. */
  trustedProxies: readonly Cidr[];
  /** How often workers roll the install log up into the download counters. */
  downloadsRollupIntervalSeconds: number;
  /** Built admin SPA (index.html, assets/), served at /admin/. */
  adminDistDir: string;
  limits: Readonly<{
    maxPackageBytes: number;
    maxUnpackedBytes: number;
    maxPackageEntries: number;
    maxPathDepth: number;
    maxCompressionRatio: number;
    graphqlMaxDepth: number;
    graphqlMaxCost: number;
    graphqlMaxAliases: number;
    graphqlMaxBodyBytes: number;
  }>;
  sandbox: SandboxConfig;
  webhooks: WebhookConfig;
  reviewRiskThreshold: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
  usage: UsageConfig;
  evals: EvalConfig;
  blobStore: BlobStoreConfig;
}>;

export type OidcConfig = Readonly<{
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated, `openid` among them. */
  scopes: string;
  groupsClaim: string;
  /** True only for an http:// issuer on a loopback address: the one case requests to it may be unencrypted. */
  insecureLoopback: boolean;
}>;

export type BlobStoreConfig = Readonly<
  | {
      kind: "file";
      /** How often workers re-hash every blob (`blob-scrubber.ts`); 0: never. */
      verifyIntervalHours: number;
    }
  | {
      kind: "s3";
      bucket: string;
      /** "" or a prefix ending in "/". */
      prefix: string;
      region: string;
      endpoint: string | null;
      /** Null: the AWS SDK's default credential chain. */
      credentials: Readonly<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }> | null;
      forcePathStyle: boolean;
      presign: boolean;
      presignTtlSeconds: number;
    }
>;

export type EvalConfig = Readonly<{
  judge: Readonly<{ url: string; model: string; apiKey: string | null; maxCallsPerRun: number }> | null;
  defaultMinScore: number;
  maxRegression: number;
  gatedTiers: readonly ("HIGH" | "MEDIUM" | "LOW")[];
  caseTimeoutSeconds: number;
  outputCapBytes: number;
}>;

export type UsageConfig = Readonly<{
  teamAttribute: string;
  rawRetentionDays: number;
  tierHighPerWeek: number;
  tierMediumPerWeek: number;
  tierWeeks: number;
  maxBodyBytes: number;
  jobsIntervalSeconds: number;
}>;

export type WebhookConfig = Readonly<{
  maxAttempts: number;
  retryDelaySeconds: number;
  timeoutMs: number;
  allowPrivateTargets: boolean;
}>;

export type SandboxConfig = Readonly<{
  dockerHost: string | undefined;
  /** `language:version` → image, e.g. `python:3.11` → `skillyard/runtime-python:3.11`. */
  images: Readonly<Record<string, string>>;
  passThreshold: number;
  maxMemoryMb: number;
  defaultMemoryMb: number;
  maxTimeoutSeconds: number;
  defaultTimeoutSeconds: number;
  cpus: number;
  pidsLimit: number;
  maxLogBytes: number;
  maxConcurrency: number;
  infraRetries: number;
  infraRetryDelaySeconds: number;
  jobPollSeconds: number;
  scope: string | undefined;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the variables `schema` names; throws ConfigError naming each bad one. Empty strings count as unset. */
function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const got = raw[name];
      const shown = [
        "SKILLYARD_BOOTSTRAP_TOKEN",
        "DATABASE_URL",
        "SUBGRAPH_SECRET",
        "EVAL_JUDGE_API_KEY",
        "ANTHROPIC_API_KEY",
        "METRICS_TOKEN",
        "OIDC_CLIENT_SECRET",
        "SCIM_TOKEN",
      ].includes(name)
        ? "(hidden)"
        : JSON.stringify(got);
      return `${name} ${issue.message}${got === undefined ? "" : ` (got ${shown})`}`;
    });
    throw new ConfigError(problems);
  }
  return parsed.data;
}

export type TracingConfig = Readonly<{
  /** The OTLP/HTTP URL spans are POSTed to. */
  tracesUrl: string;
}>;

function tracingConfig(e: z.output<typeof tracingEnvSchema>): TracingConfig | null {
  if (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined) return Object.freeze({ tracesUrl: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
  // The generic endpoint gets the signal's path appended, as the OTLP exporter specification says.
  if (e.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined) return Object.freeze({ tracesUrl: `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces` });
  return null;
}

/**
 * Only the tracing variables, for the tracing bootstrap, which runs before every other module (and
 * before loadConfig). Same definitions and errors as loadConfig, which checks them again.
 */
export function loadTracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig | null {
  return tracingConfig(parseEnv(tracingEnvSchema, env));
}

/** Parses the environment; throws ConfigError naming each bad variable. Empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(envSchema, env);
  if ((e.SUBGRAPH_PORT === undefined) !== (e.SUBGRAPH_SECRET === undefined)) {
    throw new ConfigError([
      e.SUBGRAPH_PORT === undefined
        ? "SUBGRAPH_SECRET is set but SUBGRAPH_PORT is not (set both to serve the subgraphs to a router)"
        : "SUBGRAPH_PORT needs SUBGRAPH_SECRET (32+ characters) so only your router can reach the subgraphs",
    ]);
  }
  if (e.USAGE_TIER_MEDIUM_PER_WEEK > e.USAGE_TIER_HIGH_PER_WEEK) {
    throw new ConfigError([
      `USAGE_TIER_MEDIUM_PER_WEEK (${e.USAGE_TIER_MEDIUM_PER_WEEK}) must not be above USAGE_TIER_HIGH_PER_WEEK (${e.USAGE_TIER_HIGH_PER_WEEK})`,
    ]);
  }
  if (e.TOKEN_DEFAULT_TTL_DAYS > e.TOKEN_MAX_TTL_DAYS) {
    throw new ConfigError([`TOKEN_DEFAULT_TTL_DAYS (${e.TOKEN_DEFAULT_TTL_DAYS}) must not be above TOKEN_MAX_TTL_DAYS (${e.TOKEN_MAX_TTL_DAYS})`]);
  }
  if (e.SUBGRAPH_PORT !== undefined && e.SUBGRAPH_PORT === e.PORT) throw new ConfigError([`SUBGRAPH_PORT must differ from PORT (both are ${e.PORT})`]);
  const dataDir = path.resolve(repoRoot(), e.DATA_DIR ?? ".data");
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    embeddedPostgresPort: e.EMBEDDED_POSTGRES_PORT,
    publicUrl: (e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/+$/, ""),
    bootstrapToken: e.SKILLYARD_BOOTSTRAP_TOKEN,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? null,
    metricsToken: e.METRICS_TOKEN ?? null,
    tracing: tracingConfig(e),
    subgraphListener:
      e.SUBGRAPH_PORT !== undefined && e.SUBGRAPH_SECRET !== undefined ? Object.freeze({ port: e.SUBGRAPH_PORT, secret: e.SUBGRAPH_SECRET }) : null,
    invitationTtlHours: e.INVITATION_TTL_HOURS,
    oidc: oidcConfig(e),
    sessions: Object.freeze({ idleMinutes: e.SESSION_IDLE_MINUTES, maxHours: e.SESSION_MAX_HOURS }),
    cliTokenTtlDays: e.CLI_TOKEN_TTL_DAYS,
    scimToken: e.SCIM_TOKEN ?? null,
    tokens: Object.freeze({ defaultTtlDays: e.TOKEN_DEFAULT_TTL_DAYS, maxTtlDays: e.TOKEN_MAX_TTL_DAYS }),
    trustedProxies: Object.freeze(e.TRUSTED_PROXIES ?? []),
    downloadsRollupIntervalSeconds: e.DOWNLOADS_ROLLUP_INTERVAL_SECONDS,
    marketplaceName: e.MARKETPLACE_NAME,
    requireAuthForRead: e.REQUIRE_AUTH_FOR_READ,
    // From the repository root rather than __dirname: this file runs from src/ (swc) and dist/server/src/ (tsc).
    adminDistDir: path.resolve(repoRoot(), e.ADMIN_DIST_DIR ?? "admin/dist"),
    limits: Object.freeze({
      maxPackageBytes: e.MAX_PACKAGE_BYTES,
      maxUnpackedBytes: e.MAX_UNPACKED_BYTES,
      maxPackageEntries: e.MAX_PACKAGE_ENTRIES,
      maxPathDepth: e.MAX_PACKAGE_PATH_DEPTH,
      maxCompressionRatio: e.MAX_COMPRESSION_RATIO,
      graphqlMaxDepth: e.GRAPHQL_MAX_DEPTH,
      graphqlMaxCost: e.GRAPHQL_MAX_COST,
      graphqlMaxAliases: e.GRAPHQL_MAX_ALIASES,
      graphqlMaxBodyBytes: e.GRAPHQL_MAX_BODY_BYTES,
    }),
    reviewRiskThreshold: e.REVIEW_RISK_THRESHOLD,
    sandbox: Object.freeze({
      dockerHost: e.DOCKER_HOST,
      images: Object.freeze({ ...DEFAULT_SANDBOX_IMAGES, ...e.SANDBOX_IMAGES }),
      passThreshold: e.TEST_PASS_THRESHOLD,
      maxMemoryMb: e.SANDBOX_MAX_MEMORY_MB,
      defaultMemoryMb: Math.min(e.SANDBOX_DEFAULT_MEMORY_MB, e.SANDBOX_MAX_MEMORY_MB),
      maxTimeoutSeconds: e.SANDBOX_MAX_TIMEOUT_SECONDS,
      defaultTimeoutSeconds: Math.min(e.SANDBOX_DEFAULT_TIMEOUT_SECONDS, e.SANDBOX_MAX_TIMEOUT_SECONDS),
      cpus: e.SANDBOX_CPUS,
      pidsLimit: e.SANDBOX_PIDS_LIMIT,
      maxLogBytes: e.SANDBOX_MAX_LOG_BYTES,
      maxConcurrency: e.SANDBOX_MAX_CONCURRENCY,
      infraRetries: e.SANDBOX_INFRA_RETRIES,
      infraRetryDelaySeconds: e.SANDBOX_INFRA_RETRY_DELAY_SECONDS,
      jobPollSeconds: e.SANDBOX_JOB_POLL_SECONDS,
      scope: e.SANDBOX_SCOPE,
    }),
    webhooks: Object.freeze({
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      retryDelaySeconds: e.WEBHOOK_RETRY_DELAY_SECONDS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    }),
    usage: Object.freeze({
      teamAttribute: e.USAGE_TEAM_ATTRIBUTE,
      rawRetentionDays: e.USAGE_RAW_RETENTION_DAYS,
      tierHighPerWeek: e.USAGE_TIER_HIGH_PER_WEEK,
      tierMediumPerWeek: e.USAGE_TIER_MEDIUM_PER_WEEK,
      tierWeeks: e.USAGE_TIER_WEEKS,
      maxBodyBytes: e.USAGE_MAX_BODY_BYTES,
      jobsIntervalSeconds: e.USAGE_JOBS_INTERVAL_SECONDS,
    }),
    evals: Object.freeze({
      judge:
        e.EVAL_JUDGE_URL === undefined
          ? null
          : Object.freeze({
              url: e.EVAL_JUDGE_URL,
              model: e.EVAL_JUDGE_MODEL,
              apiKey: e.EVAL_JUDGE_API_KEY ?? e.ANTHROPIC_API_KEY ?? null,
              maxCallsPerRun: e.EVAL_JUDGE_MAX_CALLS,
            }),
      defaultMinScore: e.EVAL_DEFAULT_MIN_SCORE,
      maxRegression: e.EVAL_MAX_REGRESSION,
      gatedTiers: Object.freeze(e.EVAL_GATED_TIERS),
      caseTimeoutSeconds: e.EVAL_CASE_TIMEOUT_SECONDS,
      outputCapBytes: e.EVAL_OUTPUT_CAP_BYTES,
    }),
    blobStore: blobStoreConfig(e),
  });
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

function oidcConfig(e: z.infer<typeof envSchema>): OidcConfig | null {
  const given = [e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET];
  if (given.every((v) => v === undefined)) return null;
  if (e.OIDC_ISSUER === undefined || e.OIDC_CLIENT_ID === undefined || e.OIDC_CLIENT_SECRET === undefined) {
    const missing = ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"].filter((_, i) => given[i] === undefined);
    throw new ConfigError([`single sign-on needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together (missing: ${missing.join(", ")})`]);
  }
  const issuer = new URL(e.OIDC_ISSUER);
  const insecureLoopback = issuer.protocol === "http:" && LOOPBACK_HOSTS.has(issuer.hostname);
  if (issuer.protocol === "http:" && !insecureLoopback) {
    throw new ConfigError([`OIDC_ISSUER must be an https:// URL (http:// only on a loopback address) (got ${JSON.stringify(e.OIDC_ISSUER)})`]);
  }
  return Object.freeze({
    // The issuer identifier as configured (no trailing slash added or removed): discovery compares it exactly.
    issuer: e.OIDC_ISSUER,
    clientId: e.OIDC_CLIENT_ID,
    clientSecret: e.OIDC_CLIENT_SECRET,
    scopes: e.OIDC_SCOPES,
    groupsClaim: e.OIDC_GROUPS_CLAIM,
    insecureLoopback,
  });
}

function blobStoreConfig(e: z.infer<typeof envSchema>): BlobStoreConfig {
  if (e.BLOB_STORE_URL === undefined) {
    if (e.BLOB_PRESIGN) throw new ConfigError(["BLOB_PRESIGN=true needs an S3 blob store (BLOB_STORE_URL=s3://bucket/prefix)"]);
    return Object.freeze({ kind: "file", verifyIntervalHours: e.BLOB_VERIFY_INTERVAL_HOURS ?? 24 });
  }
  if (e.BLOB_VERIFY_INTERVAL_HOURS !== undefined) {
    throw new ConfigError(["BLOB_VERIFY_INTERVAL_HOURS applies to the local blob store: S3 blobs are hashed on every read (unset it with BLOB_STORE_URL)"]);
  }
  const [, bucket, rest = ""] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(e.BLOB_STORE_URL) ?? [];
  const prefix = rest.replace(/^\/+|\/+$/g, "");
  const endpoint = e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL ?? null;
  if ((e.AWS_ACCESS_KEY_ID === undefined) !== (e.AWS_SECRET_ACCESS_KEY === undefined)) {
    throw new ConfigError(["AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both, or neither for the AWS SDK's default credential chain"]);
  }
  return Object.freeze({
    kind: "s3",
    bucket,
    prefix: prefix ? `${prefix}/` : "",
    region: e.AWS_REGION,
    endpoint,
    credentials:
      e.AWS_ACCESS_KEY_ID !== undefined && e.AWS_SECRET_ACCESS_KEY !== undefined
        ? Object.freeze({
            accessKeyId: e.AWS_ACCESS_KEY_ID,
            secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
            ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
          })
        : null,
    forcePathStyle: e.S3_FORCE_PATH_STYLE ?? endpoint !== null,
    presign: e.BLOB_PRESIGN,
    presignTtlSeconds: e.BLOB_PRESIGN_TTL_SECONDS,
  });
}

/** The package limits in the shape the archive extraction takes. */
export function archiveLimits(config: Config): ArchiveLimits {
  return {
    maxEntries: config.limits.maxPackageEntries,
    maxPathDepth: config.limits.maxPathDepth,
    maxUnpackedBytes: config.limits.maxUnpackedBytes,
    maxCompressionRatio: config.limits.maxCompressionRatio,
  };
}

/** The contract variables and their defaults, for the README table and `--help`. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);
