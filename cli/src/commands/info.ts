import type { Command } from "commander";
import { CliError } from "../errors";
import { InfoDocument, type PermissionRisk, type VersionStatus } from "../gql/graphql";
import { formatRating, padEnd } from "../output";
import { assertSkillName, examples, nodes, run, withCommonOptions, type CommonOptions, type Context } from "./common";

export function registerInfo(program: Command): void {
  const cmd = program
    .command("info")
    .description("show a skill: description, owner, versions, channels, rating, downloads, permissions")
    .argument("<name>", "skill name");
  withCommonOptions(cmd).action((name: string, options: CommonOptions) => run(options, (ctx) => info(ctx, name)));
  examples(cmd, ["skillyard info pdf-extract", "skillyard info pdf-extract --json | jq .versions"]);
}

async function info(ctx: Context, name: string): Promise<void> {
  assertSkillName(name);
  const { skill } = await ctx.client.gql(InfoDocument, { name });
  if (!skill) throw new CliError("NOT_FOUND", `There is no skill named "${name}".`);
  const permissions = skill.latestVersion ? nodes(skill.latestVersion.permissions) : [];
  const versions = nodes(skill.versions);
  const channels = nodes(skill.channels).map((ch) => ({ name: ch.name, version: ch.version?.version ?? null }));
  if (ctx.json) {
    ctx.out.printJson({
      name: skill.name,
      description: skill.description,
      category: skill.category,
      tags: skill.tags,
      owner: skill.owner.name,
      latestVersion: skill.latestVersion?.version ?? null,
      rating: skill.rating,
      reviewCount: skill.reviewCount,
      downloads: skill.downloads,
      channels,
      versions,
      permissions,
    });
    return;
  }
  const c = ctx.out.out;
  const row = (label: string, value: string) => ctx.out.line(`  ${c.dim(padEnd(label, 12))}${value}`);
  ctx.out.line(`${c.bold(skill.name)} ${c.dim("—")} ${skill.description.replace(/\s+/g, " ").trim()}`);
  row("owner", skill.owner.name);
  row("category", skill.category);
  if (skill.tags.length) row("tags", skill.tags.join(", "));
  row("latest", skill.latestVersion?.version ?? "(no installable version)");
  row("rating", `${formatRating(skill.rating)} (${skill.reviewCount} rating${skill.reviewCount === 1 ? "" : "s"})`);
  row("downloads", `↓ ${skill.downloads}`);
  if (channels.length) row("channels", channels.map((ch) => `${ch.name} → ${ch.version ?? "–"}`).join(", "));
  if (skill.latestVersion) {
    ctx.out.line(`  ${c.dim(`permissions of ${skill.latestVersion.version}`)}`);
    if (permissions.length === 0) ctx.out.line("    (none)");
    const widest = Math.max(0, ...permissions.map((p) => p.name.length));
    for (const p of permissions) ctx.out.line(`    ${padEnd(p.name, widest)}  ${riskColor(ctx, p.risk)}`);
  }
  ctx.out.line(`  ${c.dim("versions")}`);
  const widest = Math.max(0, ...versions.map((v) => v.version.length));
  for (const v of versions) {
    const when = (v.publishedAt ?? v.createdAt).slice(0, 10);
    ctx.out.line(
      `    ${padEnd(v.version, widest)}  ${padEnd(statusColor(ctx, v.status), 15)}  ${c.dim(when)}${v.statusReason ? c.dim(`  ${v.statusReason}`) : ""}`,
    );
  }
}

function riskColor(ctx: Context, risk: PermissionRisk): string {
  const c = ctx.out.out;
  return risk === "CRITICAL" || risk === "HIGH" ? c.red(risk) : risk === "MEDIUM" ? c.yellow(risk) : risk;
}

function statusColor(ctx: Context, status: VersionStatus): string {
  const c = ctx.out.out;
  if (status === "PUBLISHED") return c.green(status);
  if (status === "REJECTED" || status === "YANKED") return c.red(status);
  if (status === "DEPRECATED" || status === "AWAITING_REVIEW" || status === "TESTING") return c.yellow(status);
  return status;
}
