import { randomBytes } from "node:crypto";
import { lstat, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_ARCHIVE_LIMITS, extractPackageTo } from "@skillyard/core";
import type { Command } from "commander";
import { CliError } from "../errors";
import { lockfilePath, mergeLockfile, readLockfile, writeLockfile, type LockedPackage } from "../lockfile";
import { formatBytes, table } from "../output";
import { examples, parseInstallSpec, requireToken, run, withCommonOptions, type CommonOptions, type Context } from "./common";

interface InstallOptions extends CommonOptions {
  tenant?: string;
  dir: string;
}

const INSTALL = `mutation Install($input: InstallSkillInput!) {
  installSkill(input: $input) { tenant { name } warnings resolved { name version range sha256 size downloadUrl requiredBy } }
}`;

interface InstallResult {
  installSkill: { tenant: { name: string }; warnings: string[]; resolved: LockedPackage[] };
}

export function registerInstall(program: Command): void {
  const cmd = program
    .command("install")
    .description("install a skill with its dependency tree into <dir>/<name>/ and record it in <dir>/skillyard.lock; with no argument, reinstall exactly what the lockfile says")
    .argument("[spec]", "<name>, <name>@<semver range> or <name>@<channel>")
    .option("--tenant <team>", "team to install for (default: your only team)")
    .option("--dir <dir>", "where skills are installed", "skills");
  withCommonOptions(cmd).action((spec: string | undefined, options: InstallOptions) =>
    run(options, (ctx) => (spec === undefined ? installFromLockfile(ctx, options.dir) : install(ctx, spec, options))),
  );
  examples(cmd, [
    "skillyard install pdf-extract",
    "skillyard install pdf-extract@^1.2 --tenant data --dir .claude/skills",
    "skillyard install pdf-extract@stable",
    "skillyard install              # reinstall from skills/skillyard.lock, verifying every sha256",
  ]);
}

async function install(ctx: Context, spec: string, options: InstallOptions): Promise<void> {
  const { name, range } = parseInstallSpec(spec);
  requireToken(ctx, "Installing");
  const input: Record<string, string> = { name };
  if (range !== null) input.range = range;
  if (options.tenant) input.tenant = options.tenant;
  ctx.out.status.spin(`resolving ${spec}`);
  const { installSkill: result } = await ctx.client.gql<InstallResult>(INSTALL, { input });
  await fetchAndExtract(ctx, options.dir, result.resolved);
  const previous = await readLockfile(options.dir).catch((err: unknown) => {
    ctx.out.warn(`replacing the unreadable ${lockfilePath(options.dir)} (${err instanceof Error ? err.message : String(err)})`);
    return null;
  });
  const lock = mergeLockfile(previous, ctx.registry, { name, range: range ?? "latest", tenant: result.tenant.name }, result.resolved);
  await writeLockfile(options.dir, lock);
  if (ctx.json) {
    ctx.out.printJson({ tenant: result.tenant.name, dir: path.resolve(options.dir), lockfile: lockfilePath(path.resolve(options.dir)), warnings: result.warnings, resolved: result.resolved });
    return;
  }
  for (const warning of result.warnings) ctx.out.warn(warning);
  printInstalled(ctx, options.dir, result.resolved, `for team ${result.tenant.name}`);
}

async function installFromLockfile(ctx: Context, dir: string): Promise<void> {
  const lock = await readLockfile(dir);
  if (!lock) throw new CliError("NOT_FOUND", `There is no ${lockfilePath(dir)}; install a skill by name first (skillyard install <name>).`);
  await fetchAndExtract(ctx, dir, lock.packages);
  if (ctx.json) {
    ctx.out.printJson({ dir: path.resolve(dir), lockfile: lockfilePath(path.resolve(dir)), fromLockfile: true, warnings: [], resolved: lock.packages });
    return;
  }
  printInstalled(ctx, dir, lock.packages, `from ${lockfilePath(dir)}`);
}

function printInstalled(ctx: Context, dir: string, packages: LockedPackage[], how: string): void {
  const c = ctx.out.out;
  const lines = table(
    [{ header: "SKILL" }, { header: "VERSION" }, { header: "SIZE", align: "right" }, { header: "SHA256" }, { header: "REQUIRED BY" }],
    packages.map((p) => [p.name, p.version, formatBytes(p.size), p.sha256.slice(0, 12), p.requiredBy.length ? p.requiredBy.join(" → ") : "(requested)"]),
    undefined,
    c,
  );
  for (const line of lines) ctx.out.line(line);
  ctx.out.line(`${c.green("✓")} installed ${packages.length} skill${packages.length === 1 ? "" : "s"} into ${dir}${path.sep} ${how}`);
}

/**
 * Downloads and verifies every package first (size and sha256), then extracts each into a staging
 * sibling, then swaps them into place: a bad digest anywhere changes nothing on disk.
 */
async function fetchAndExtract(ctx: Context, dir: string, packages: LockedPackage[]): Promise<void> {
  const downloads: { pkg: LockedPackage; data: Buffer }[] = [];
  for (const [i, pkg] of packages.entries()) {
    const label = `${pkg.name}@${pkg.version}`;
    ctx.out.status.spin(`downloading ${label} (${i + 1}/${packages.length})`);
    const { data, sha256 } = await ctx.client.download(pkg.downloadUrl, pkg.size, label);
    if (sha256 !== pkg.sha256) {
      throw new CliError("PACKAGE_CORRUPT", `sha256 mismatch for ${label}: expected ${pkg.sha256} got ${sha256}; nothing was installed.`);
    }
    downloads.push({ pkg, data });
  }
  ctx.out.status.spin("extracting");
  await mkdir(dir, { recursive: true });
  const staged: { name: string; staging: string }[] = [];
  try {
    for (const { pkg, data } of downloads) {
      const staging = path.join(dir, `.${pkg.name}.incoming-${randomBytes(6).toString("hex")}`);
      // Same hostile-archive rules as the server; on any refusal nothing is left behind.
      await extractPackageTo(data, DEFAULT_ARCHIVE_LIMITS, staging);
      staged.push({ name: pkg.name, staging });
    }
  } catch (err) {
    await Promise.all(staged.map((s) => rm(s.staging, { recursive: true, force: true })));
    throw err;
  }
  for (const { name, staging } of staged) await swapInto(staging, path.join(dir, name));
  ctx.out.status.clear();
}

/** Moves `staging` to `dest`, replacing an existing install: the old folder is renamed aside first and removed last. */
async function swapInto(staging: string, dest: string): Promise<void> {
  const exists = await lstat(dest).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return false;
      throw err;
    },
  );
  if (!exists) {
    await rename(staging, dest);
    return;
  }
  const aside = path.join(path.dirname(dest), `.${path.basename(dest)}.previous-${randomBytes(6).toString("hex")}`);
  await rename(dest, aside);
  try {
    await rename(staging, dest);
  } catch (err) {
    await rename(aside, dest).catch(() => undefined);
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  await rm(aside, { recursive: true, force: true });
}
