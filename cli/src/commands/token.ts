import type { Command } from "commander";
import { usageError } from "../errors";
import { CreateTokenDocument, RevokeTokenDocument, type TokenFieldsFragment, type TokenScope, TokensDocument } from "../gql/graphql";
import { table } from "../output";
import { examples, requireToken, run, withCommonOptions, type CommonOptions, type Context } from "./common";

/** Tokens that expire within this many days are marked in `token list` (as Query.expiringApiTokens does by default). */
export const EXPIRING_WITHIN_DAYS = 14;
const DAY_MS = 86_400_000;

/** The scopes people type; CATALOG_READ is Skillyard's own. */
const SCOPE_NAMES: Readonly<Record<string, TokenScope>> = {
  read: "READ",
  publish: "PUBLISH",
  review: "REVIEW",
  admin: "ADMIN",
  ingest: "INGEST",
};

interface CreateOptions extends CommonOptions {
  name: string;
  scope: string[];
  team: string[];
  expires?: string;
  cidr: string[];
  user?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerToken(program: Command): void {
  const token = program.command("token").description("API tokens: create one with only the scopes it needs, list yours, revoke one");

  const create = token
    .command("create")
    .description("create an API token; its secret is printed once, never again")
    .requiredOption("--name <name>", "what it is for (e.g. the CI pipeline or machine)")
    .option("--scope <scope>", "read, publish, review, admin or ingest; repeat for several (default: what your token holds, ingest aside)", collect, [])
    .option("--team <team>", "limit publish to this team; repeat for several (default: every team you may publish to)", collect, [])
    .option("--expires <days>", "expiry, e.g. 30d or 12w (default: the registry's, 90 days unless configured)")
    .option("--cidr <range>", "only usable from this network, e.g. 10.0.0.0/8; repeat for several", collect, [])
    .option("--user <handle>", "a service account to create it for (admins)");
  withCommonOptions(create).action((options: CreateOptions) => run(options, (ctx) => createToken(ctx, options)));
  examples(create, [
    "skillyard token create --name dashboards --scope read --expires 30d",
    "skillyard token create --name ci --scope read --scope publish --team data --cidr 10.0.0.0/8",
    "skillyard token create --name telemetry --scope ingest --user otel-collector --json",
  ]);

  const list = token.command("list").description(`your working tokens, marking those that expire within ${EXPIRING_WITHIN_DAYS} days`);
  withCommonOptions(list).action((options: CommonOptions) => run(options, (ctx) => listTokens(ctx)));
  examples(list, ["skillyard token list", "skillyard token list --json"]);

  const revoke = token.command("revoke").description("revoke a token at once (its id from `token list`)").argument("<id>", "the token's id");
  withCommonOptions(revoke).action((id: string, options: CommonOptions) => run(options, (ctx) => revokeToken(ctx, id)));
  examples(revoke, ["skillyard token revoke QXBpVG9rZW46…"]);

  examples(token, ["skillyard token create --name ci --scope publish --team data --expires 30d", "skillyard token list", "skillyard token revoke <id>"]);
}

/** `30d`, `12w` or a bare number of days. */
export function parseExpiry(text: string): number {
  const match = /^(\d{1,4})([dw]?)$/.exec(text.trim().toLowerCase());
  const days = match ? Number(match[1]) * (match[2] === "w" ? 7 : 1) : 0;
  if (!match || days < 1) throw usageError(`--expires takes days or weeks, e.g. 30d or 12w; got ${JSON.stringify(text)}.`);
  return days;
}

function parseScope(text: string): TokenScope {
  const scope = SCOPE_NAMES[text.trim().toLowerCase()];
  if (!scope) throw usageError(`--scope is one of ${Object.keys(SCOPE_NAMES).join(", ")}; got ${JSON.stringify(text)}.`);
  return scope;
}

async function createToken(ctx: Context, options: CreateOptions): Promise<void> {
  const scopes = options.scope.length > 0 ? [...new Set(options.scope.map(parseScope))] : null;
  const expiresInDays = options.expires === undefined ? null : parseExpiry(options.expires);
  requireToken(ctx, "Creating a token");
  const { createApiToken } = await ctx.client.gql(CreateTokenDocument, {
    input: {
      name: options.name,
      user: options.user ?? null,
      scopes,
      publishTeams: options.team.length > 0 ? options.team : null,
      expiresInDays,
      allowedCidrs: options.cidr.length > 0 ? options.cidr : null,
    },
  });
  const created = createApiToken.apiToken;
  if (ctx.json) {
    ctx.out.printJson({ token: createApiToken.token, ...tokenJson(created) });
    return;
  }
  const c = ctx.out.out;
  ctx.out.line(`${c.green("✓")} created token ${c.bold(created.name)} for ${created.user.handle}: ${describe(created)}`);
  ctx.out.line(c.dim("  its secret, shown this once (store it now; `skillyard login --token …` to use it here):"));
  ctx.out.line(createApiToken.token);
}

async function listTokens(ctx: Context): Promise<void> {
  requireToken(ctx, "Listing tokens");
  const { viewer } = await ctx.client.gql(TokensDocument, {});
  const tokens = (viewer?.apiTokens.edges ?? []).map((e) => e.node).filter((t) => t.revokedAt === null);
  const now = Date.now();
  if (ctx.json) {
    ctx.out.printJson({ tokens: tokens.map((t) => ({ ...tokenJson(t), expiringSoon: expiringSoon(t, now) })) });
    return;
  }
  if (tokens.length === 0) {
    ctx.out.line("You hold no working token.");
    return;
  }
  const c = ctx.out.out;
  const lines = table(
    [{ header: "NAME" }, { header: "PREFIX" }, { header: "SCOPES" }, { header: "EXPIRES" }, { header: "LAST USED" }, { header: "ID", flexible: true, min: 12 }],
    tokens.map((t) => [t.name, t.prefix, scopeText(t), expiryText(t, now), t.lastUsedAt ? t.lastUsedAt.slice(0, 16).replace("T", " ") : "never", t.id]),
    undefined,
    c,
  );
  lines.forEach((line) => ctx.out.line(line));
  const soon = tokens.filter((t) => expiringSoon(t, now)).length;
  if (soon > 0)
    ctx.out.note(
      `${c.yellow("!")} ${soon} token${soon === 1 ? "" : "s"} expire${soon === 1 ? "s" : ""} within ${EXPIRING_WITHIN_DAYS} days: create a new one (token create) and revoke the old.`,
    );
}

async function revokeToken(ctx: Context, id: string): Promise<void> {
  requireToken(ctx, "Revoking a token");
  const { revokeApiToken } = await ctx.client.gql(RevokeTokenDocument, { id });
  if (ctx.json) {
    ctx.out.printJson(tokenJson(revokeApiToken));
    return;
  }
  ctx.out.line(`${ctx.out.out.green("✓")} revoked ${ctx.out.out.bold(revokeApiToken.name)} (${revokeApiToken.prefix}…): every request made with it now fails`);
}

function tokenJson(t: TokenFieldsFragment) {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    user: t.user.handle,
    scopes: t.scopes,
    publishTeams: t.publishTeams?.map((team) => team.name) ?? null,
    expiresAt: t.expiresAt,
    allowedCidrs: t.allowedCidrs,
    lastUsedAt: t.lastUsedAt,
    createdAt: t.createdAt,
    revokedAt: t.revokedAt,
  };
}

function expiringSoon(t: TokenFieldsFragment, now: number): boolean {
  return t.expiresAt !== null && Date.parse(t.expiresAt) - now <= EXPIRING_WITHIN_DAYS * DAY_MS;
}

function scopeText(t: TokenFieldsFragment): string {
  const scopes = t.scopes.map((s) => s.toLowerCase()).join(", ");
  return t.publishTeams ? `${scopes} (publish: ${t.publishTeams.map((team) => team.name).join(", ")})` : scopes;
}

function expiryText(t: TokenFieldsFragment, now: number): string {
  if (!t.expiresAt) return "never";
  const days = Math.ceil((Date.parse(t.expiresAt) - now) / DAY_MS);
  const date = t.expiresAt.slice(0, 10);
  if (days <= 0) return `${date} (expired)`;
  return expiringSoon(t, now) ? `${date} (! in ${days} day${days === 1 ? "" : "s"})` : date;
}

/** "read, publish (publish: data); expires 2026-05-01; from 10.0.0.0/8". */
function describe(t: TokenFieldsFragment): string {
  return [scopeText(t), t.expiresAt ? `expires ${t.expiresAt.slice(0, 10)}` : "never expires", t.allowedCidrs ? `only from ${t.allowedCidrs.join(", ")}` : null]
    .filter(Boolean)
    .join("; ");
}
