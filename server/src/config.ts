import path from "node:path";
import { z } from "zod";
import { repoRoot } from "./common/repo-root";

const MiB = 1024 * 1024;

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const ratio = z
  .string()
  .regex(/^\d+(\.\d+)?$/, "must be a number")
  .transform(Number);

/**
 * Every environment variable Skillyard reads, validated in one place at start-up.
 * Values arrive as strings; defaults are strings too so one parser handles both.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(0, 65535).default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" })
    .optional(),
  EMBEDDED_POSTGRES_PORT: int(1, 65535).default(54329),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  SKILLYARD_BOOTSTRAP_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_\-.]{24,128}$/, "must be 24-128 characters of letters, digits, '_', '-' or '.'")
    .optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
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
});

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
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment; throws ConfigError naming each bad variable. Empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const got = raw[name];
      const shown = name === "SKILLYARD_BOOTSTRAP_TOKEN" || name === "DATABASE_URL" ? "(hidden)" : JSON.stringify(got);
      return `${name} ${issue.message}${got === undefined ? "" : ` (got ${shown})`}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
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
  });
}

/** The contract variables and their defaults, for the README table and `--help`. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);
