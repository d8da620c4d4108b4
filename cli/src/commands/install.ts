import { randomBytes } from "node:crypto";
import { lstat, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_ARCHIVE_LIMITS, extractPackageTo } from "@skillyard/core";
import type { Command } from "commander";
import { CliError } from "../errors";
import { InstallDocument, type InstallSkillInput } from "../gql/graphql";
import { checkPackages, invalidLockfile, lockfilePath, mergeLockfile, readLockfile, writeLockfile, type Fail, type LockedPackage } from "../lockfile";
import { formatBytes, table } from "../output";
import { examples, parseInstallSpec, requireToken, run, withCommonOptions, type CommonOptions, type Context } from "./common";

interface InstallOptions extends CommonOptions {
  tenant?: string;
  dir: string;
}

export function registerInstall(program: Command): void {
  const cmd = program
    .command("install")
    .description(
      "install a skill with its dependency tree into <dir>/<name>/ and record it in <dir>/skillyard.lock; with no argument, reinstall exactly what the lockfile says",
    )
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
  const input: InstallSkillInput = { name };
  if (range !== null) input.range = range;
  if (options.tenant) input.tenant = options.tenant;
  ctx.out.status.spin(`resolving ${spec}`);
  const { installSkill: result } = await ctx.client.gql(InstallDocument, { input });
  // The answer names folders and files to write: it is checked like a lockfile before anything is
  // downloaded or touched (a hostile registry or an interception on plain http could send "../x").
  const refuse: Fail = (problem) => new CliError("BAD_RESPONSE", `${ctx.registry} answered an install that cannot be used: ${problem}; nothing was installed.`);
  const resolved = checkPackages(result.resolved, "resolved", refuse);
  await fetchAndExtract(ctx, options.dir, resolved, refuse);
  const previous = await readLockfile(options.dir).catch((err: unknown) => {
    ctx.out.warn(`replacing the unreadable ${lockfilePath(options.dir)} (${err instanceof Error ? err.message : String(err)})`);
    return null;
  });
  const lock = mergeLockfile(previous, ctx.registry, { name, range: range ?? "latest", tenant: result.tenant.name }, resolved);
  await writeLockfile(options.dir, lock);
  if (ctx.json) {
    ctx.out.printJson({
      tenant: result.tenant.name,
      dir: path.resolve(options.dir),
      lockfile: lockfilePath(path.resolve(options.dir)),
      warnings: result.warnings,
      resolved,
    });
    return;
  }
  for (const warning of result.warnings) ctx.out.warn(warning);
  printInstalled(ctx, options.dir, resolved, `for team ${result.tenant.name}`);
}

async function installFromLockfile(ctx: Context, dir: string): Promise<void> {
  const lock = await readLockfile(dir);
  if (!lock) throw new CliError("NOT_FOUND", `There is no ${lockfilePath(dir)}; install a skill by name first (skillyard install <name>).`);
  await fetchAndExtract(ctx, dir, lock.packages, (problem) => invalidLockfile(lockfilePath(dir), problem));
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
 * sibling, then swaps them into place: a bad digest anywhere changes nothing on disk. Every folder
 * it creates, replaces or removes must be a direct child of `dir` (checked before the first
 * download, and again for each staging and aside folder), whatever the names passed the name rule.
 */
async function fetchAndExtract(ctx: Context, dir: string, packages: LockedPackage[], refuse: Fail): Promise<void> {
  const root = path.resolve(dir);
  const targets = packages.map((pkg) => ({ pkg, dest: folderIn(root, pkg.name, refuse) }));
  const downloads: { pkg: LockedPackage; dest: string; data: Buffer }[] = [];
  for (const [i, { pkg, dest }] of targets.entries()) {
    const label = `${pkg.name}@${pkg.version}`;
    ctx.out.status.spin(`downloading ${label} (${i + 1}/${packages.length})`);
    const { data, sha256 } = await ctx.client.download(pkg.downloadUrl, pkg.size, label);
    if (sha256 !== pkg.sha256) {
      throw new CliError("PACKAGE_CORRUPT", `sha256 mismatch for ${label}: expected ${pkg.sha256} got ${sha256}; nothing was installed.`);
    }
    downloads.push({ pkg, dest, data });
  }
  ctx.out.status.spin("extracting");
  await mkdir(root, { recursive: true });
  const staged: { dest: string; staging: string }[] = [];
  try {
    for (const { pkg, dest, data } of downloads) {
      const staging = folderIn(root, `.${pkg.name}.incoming-${randomBytes(6).toString("hex")}`, refuse);
      // Same hostile-archive rules as the server; on any refusal nothing is left behind.
      await extractPackageTo(data, DEFAULT_ARCHIVE_LIMITS, staging);
      staged.push({ dest, staging });
    }
  } catch (err) {
    await Promise.all(staged.map((s) => rm(s.staging, { recursive: true, force: true })));
    throw err;
  }
  for (const { dest, staging } of staged) await swapInto(root, staging, dest, refuse);
  ctx.out.status.clear();
}

/**
 * `root/<entry>`, or `refuse` when that is not a folder directly inside `root` (an absolute path,
 * "..", ".", "", a name with a separator): the guard that keeps an install inside its folder even if
 * a name got past the skill-name rule. `root` must be absolute.
 */
export function folderIn(root: string, entry: string, refuse: Fail): string {
  const full = path.resolve(root, entry);
  if (path.dirname(full) !== root || path.basename(full) !== entry) {
    throw refuse(`${JSON.stringify(entry)} is not a folder name inside ${root}`);
  }
  return full;
}

/** Moves `staging` to `dest`, replacing an existing install: the old folder is renamed aside first and removed last. */
async function swapInto(root: string, staging: string, dest: string, refuse: Fail): Promise<void> {
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
  const aside = folderIn(root, `.${path.basename(dest)}.previous-${randomBytes(6).toString("hex")}`, refuse);
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
